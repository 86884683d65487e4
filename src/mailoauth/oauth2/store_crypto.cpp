// libsodium behind the store's seal/unseal and the key loading. sodium_init is
// called once; a failure there is a Bug (the library cannot get randomness).
// Files are read with open/fstat/read, not std::filesystem: its throwing
// overloads turned an unreadable state directory into an abort.
#include "mailoauth/oauth2/store_crypto.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/file_write.hpp"
#include "mailoauth/oauth2/file_access.hpp"

namespace mailoauth::oauth2 {

namespace {

bool sodium_ready() {
  static std::once_flag once;
  static bool ready = false;
  std::call_once(once, [] { ready = sodium_init() >= 0; });
  return ready;
}

core::Result<core::Secret> decode_key_text(std::string_view text, std::string_view origin) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  std::string bytes;
  if (text.size() == 2 * StoreKey::kSize &&
      text.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos) {
    bytes.resize(StoreKey::kSize);
    for (std::size_t i = 0; i < StoreKey::kSize; ++i) {
      bytes[i] = static_cast<char>(std::stoi(std::string(text.substr(2 * i, 2)), nullptr, 16));
    }
  } else if (auto decoded = core::base64::decode(text, core::base64::Alphabet::Standard,
                                                 core::base64::Padding::Optional)) {
    bytes = std::move(*decoded);
  } else if (auto url = core::base64::decode(text, core::base64::Alphabet::UrlSafe,
                                             core::base64::Padding::Optional)) {
    bytes = std::move(*url);
  }
  if (bytes.size() != StoreKey::kSize) {
    core::secure_wipe(bytes.data(), bytes.size());
    return core::fail(
        core::ErrorClass::Config, "store.bad_key",
        fmt::format("the token store key from {} is not 32 bytes in hex or base64", origin),
        "create one with: head -c 32 /dev/urandom | base64");
  }
  return core::Secret::take(std::move(bytes));
}

core::Error unreadable_key(const std::filesystem::path& path, int error_number) {
  return core::Error(core::ErrorClass::Config, "store.key_unreadable",
                     fmt::format("cannot read the token store key {}: {}", path.string(),
                                 file_access_failure(path, error_number)),
                     "run as the user that owns the state directory, or set MAILOAUTH_STATE_DIR "
                     "to a directory of this user");
}

// The key file's text, nullopt when there is none; refused when others may read it.
core::Result<std::optional<std::string>> read_key_file(const std::filesystem::path& path,
                                                       bool check_mode) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
    return core::fail(unreadable_key(path, errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error_number = errno;
    ::close(fd);
    return core::fail(unreadable_key(path, error_number));
  }
  if (check_mode && (info.st_mode & 077) != 0) {
    ::close(fd);
    return core::fail(core::ErrorClass::Config, "store.key_mode",
                      fmt::format("the token store key {} is readable by others (mode {:o})",
                                  path.string(), info.st_mode & 0777),
                      fmt::format("chmod 600 {}", path.string()));
  }
  constexpr std::size_t kLimit = 4096;  // a key is 45 bytes of base64; more is not a key
  std::string text(kLimit, '\0');
  std::size_t done = 0;
  while (done < kLimit) {
    const ssize_t n = ::read(fd, text.data() + done, kLimit - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error_number = errno;
      ::close(fd);
      core::secure_wipe(text.data(), text.size());
      return core::fail(unreadable_key(path, error_number));
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return std::optional<std::string>(std::move(text));
}

core::Result<StoreKey> key_from_text(std::string text, const std::filesystem::path& path) {
  auto bytes = decode_key_text(text, path.string());
  core::secure_wipe(text.data(), text.size());
  if (!bytes) return core::fail(bytes.error());
  return make_store_key(std::move(*bytes), path.string());
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// link(temporary, path), which never replaces; on a file system without hard
// links, rename with RENAME_NOREPLACE, which never replaces either.
int place_without_replacing(const std::filesystem::path& temporary,
                            const std::filesystem::path& path) {
  if (::link(temporary.c_str(), path.c_str()) == 0) return 0;
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS) return -1;
  return ::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
}

// Whether a directory holds nothing but mailoauth's own files, so tightening
// its mode cannot take anything from anyone (a --state-dir of /tmp or /var/lib
// by mistake must keep its mode).
bool holds_only_our_files(const std::filesystem::path& directory) {
  DIR* listing = ::opendir(directory.c_str());
  if (listing == nullptr) return false;
  bool ours = true;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == ".." || name == "store.key" || name == "failed" || name == "locks" ||
        name.starts_with("tokens.db") ||
        (name.starts_with(".store.key.") && name.ends_with(".tmp"))) {
      continue;
    }
    ours = false;
    break;
  }
  ::closedir(listing);
  return ours;
}

// First use: a candidate key written completely and fsynced under a temporary
// name, then link()ed to the key file's name. link() never replaces: if another
// process got there first (EEXIST), its key is the store's key and ours is
// dropped before anything was sealed with it.
core::Result<StoreKey> create_key_file(const std::filesystem::path& path) {
  const auto directory =
      path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  if (auto ready = ensure_private_directory(directory); !ready) return core::fail(ready.error());
  std::string raw(StoreKey::kSize, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string encoded = core::base64::encode(raw) + "\n";
  const auto temporary = directory / fmt::format(".{}.{}-{:08x}.tmp", path.filename().string(),
                                                 ::getpid(), randombytes_random());
  const auto wipe = [&] {
    core::secure_wipe(raw.data(), raw.size());
    core::secure_wipe(encoded.data(), encoded.size());
  };
  const auto failed = [&](std::string_view step, int error_number) {
    wipe();
    ::unlink(temporary.c_str());
    return core::fail(core::classify_errno(error_number), "store.key_create",
                      fmt::format("cannot create the token store key {}: {} failed: {}",
                                  path.string(), step, std::strerror(error_number)),
                      "check that the state directory is writable by this user and the disk "
                      "is not full");
  };
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return failed("creating a temporary file", errno);
  if (!write_all(fd, encoded) || ::fsync(fd) != 0) {
    const int error_number = errno;
    ::close(fd);
    return failed("writing it", error_number);
  }
  if (::close(fd) != 0) return failed("closing it", errno);
  const int linked = place_without_replacing(temporary, path);
  const int link_error = errno;
  ::unlink(temporary.c_str());
  if (linked != 0 && link_error != EEXIST) return failed("linking it into place", link_error);
  if (linked != 0) {  // another process made the key first: use that one
    wipe();
    auto text = read_key_file(path, true);
    if (!text) return core::fail(text.error());
    if (!*text) return core::fail(unreadable_key(path, ENOENT));
    return key_from_text(std::move(**text), path);
  }
  (void)core::sync_directory(directory);  // the key exists either way; durability is best effort
  core::secure_wipe(encoded.data(), encoded.size());
  return make_store_key(core::Secret::take(std::move(raw)), path.string());
}

}  // namespace

core::Result<StoreKey> make_store_key(core::Secret bytes, std::string origin) {
  if (bytes.size() != StoreKey::kSize) {
    return core::fail(core::ErrorClass::Config, "store.bad_key",
                      fmt::format("a token store key has 32 bytes, not {}", bytes.size()));
  }
  return StoreKey(std::move(bytes), std::move(origin));
}

StoreKeySources store_key_sources_from_environment(std::filesystem::path key_file) {
  StoreKeySources sources;
  if (const char* value = std::getenv("MAILOAUTH_STORE_KEY")) sources.environment_value = value;
  if (const char* directory = std::getenv("CREDENTIALS_DIRECTORY")) {
    sources.credentials_directory = directory;
  }
  sources.key_file = std::move(key_file);
  return sources;
}

core::Result<StoreKey> load_store_key(const StoreKeySources& sources) {
  if (!sodium_ready()) {
    return core::fail(core::ErrorClass::Bug, "store.sodium", "libsodium failed to initialise");
  }
  if (!sources.environment_value.empty()) {
    auto bytes = decode_key_text(sources.environment_value, "MAILOAUTH_STORE_KEY");
    if (!bytes) return core::fail(bytes.error());
    return make_store_key(std::move(*bytes), "MAILOAUTH_STORE_KEY");
  }
  if (!sources.credentials_directory.empty()) {
    const auto path = sources.credentials_directory / "mailoauth-store-key";
    auto text = read_key_file(path, false);  // systemd's credentials have their own rules
    if (!text) return core::fail(text.error());
    if (*text) return key_from_text(std::move(**text), path);
  }
  const auto& path = sources.key_file;
  auto text = read_key_file(path, true);
  if (!text) return core::fail(text.error());
  if (*text) return key_from_text(std::move(**text), path);
  return create_key_file(path);
}

core::Result<void> ensure_private_directory(const std::filesystem::path& directory) {
  struct stat info {};
  if (::stat(directory.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) {
      return core::fail(
          core::ErrorClass::Config, "store.state_directory",
          fmt::format("the state directory {} is not a directory", directory.string()),
          "set MAILOAUTH_STATE_DIR to a directory");
    }
    // Ours, open to others, and holding only the store: tighten (tokens are
    // sealed, but which accounts exist and when they renew is not).
    if (info.st_uid == ::geteuid() && (info.st_mode & 077) != 0 &&
        holds_only_our_files(directory)) {
      ::chmod(directory.c_str(), 0700);
    }
    return {};
  }
  if (errno != ENOENT) {
    return core::fail(core::ErrorClass::Config, "store.state_directory",
                      fmt::format("cannot reach the state directory {}: {}", directory.string(),
                                  std::strerror(errno)),
                      "run as the user that owns it, or set MAILOAUTH_STATE_DIR to a "
                      "directory of this user");
  }
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return core::fail(core::ErrorClass::Config, "store.state_directory",
                      fmt::format("cannot create the state directory {}: {}", directory.string(),
                                  error.message()),
                      "create it (mode 0700, owned by the user that runs mailoauth), or set "
                      "MAILOAUTH_STATE_DIR to a writable directory");
  }
  ::chmod(directory.c_str(), 0700);
  return {};
}

std::string seal(const StoreKey& key, std::string_view plaintext,
                 std::string_view associated_data) {
  sodium_ready();
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string sealed(kNonce + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(out, kNonce);
  unsigned long long length = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      out + kNonce, &length, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(associated_data.data()),
      associated_data.size(), nullptr, out,
      reinterpret_cast<const unsigned char*>(key.bytes().reveal().data()));
  sealed.resize(kNonce + static_cast<std::size_t>(length));
  return sealed;
}

core::Result<core::Secret> unseal(const StoreKey& key, std::string_view sealed,
                                  std::string_view associated_data) {
  sodium_ready();
  constexpr std::size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr std::size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  const auto refuse = [] {
    return core::fail(core::ErrorClass::Config, "store.cannot_decrypt",
                      "a value in the token store cannot be decrypted with this key",
                      "use the key the store was created with (MAILOAUTH_STORE_KEY, the "
                      "credentials directory or the key file), or log in again");
  };
  if (sealed.size() < kNonce + kTag) return refuse();
  std::string plain(sealed.size() - kNonce - kTag, '\0');
  unsigned long long length = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &length, nullptr, in + kNonce,
          sealed.size() - kNonce, reinterpret_cast<const unsigned char*>(associated_data.data()),
          associated_data.size(), in,
          reinterpret_cast<const unsigned char*>(key.bytes().reveal().data())) != 0) {
    return refuse();
  }
  plain.resize(static_cast<std::size_t>(length));
  return core::Secret::take(std::move(plain));
}

}  // namespace mailoauth::oauth2
