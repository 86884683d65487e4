// libsodium behind the store's seal/unseal and the key loading. sodium_init is
// called once; a failure there is a Bug (the library cannot get randomness).
#include "mailoauth/oauth2/store_crypto.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/file_write.hpp"

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

core::Result<std::string> read_small_file(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return core::fail(core::ErrorClass::Config, "store.key_unreadable",
                      fmt::format("cannot read the token store key {}", path.string()),
                      "check the file's owner and mode");
  }
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
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
    if (std::filesystem::exists(path)) {
      auto text = read_small_file(path);
      if (!text) return core::fail(text.error());
      auto bytes = decode_key_text(*text, path.string());
      core::secure_wipe(text->data(), text->size());
      if (!bytes) return core::fail(bytes.error());
      return make_store_key(std::move(*bytes), path.string());
    }
  }
  const auto& path = sources.key_file;
  auto read_key_file = [&path]() -> core::Result<StoreKey> {
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && (info.st_mode & 077) != 0) {
      return core::fail(core::ErrorClass::Config, "store.key_mode",
                        fmt::format("the token store key {} is readable by others (mode {:o})",
                                    path.string(), info.st_mode & 0777),
                        fmt::format("chmod 600 {}", path.string()));
    }
    auto text = read_small_file(path);
    if (!text) return core::fail(text.error());
    auto bytes = decode_key_text(*text, path.string());
    core::secure_wipe(text->data(), text->size());
    if (!bytes) return core::fail(bytes.error());
    return make_store_key(std::move(*bytes), path.string());
  };
  if (std::filesystem::exists(path)) return read_key_file();
  // First use: a new random key, written durably before anything is sealed with
  // it, under a name of its own, then published with link(2), which never
  // replaces: when several processes start on an empty directory at once (Nagios
  // runs its checks in parallel) one key wins and the others read it. Renaming
  // each over the other left a store sealed with a key that was then replaced.
  std::error_code ignored;
  std::filesystem::create_directories(path.parent_path(), ignored);
  ::chmod(path.parent_path().c_str(), 0700);
  std::string raw(StoreKey::kSize, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string encoded = core::base64::encode(raw) + "\n";
  const std::string staging =
      fmt::format("{}.new-{}-{:08x}", path.string(), ::getpid(), randombytes_random());
  auto written = core::atomic_write_file(staging, encoded, 0600);
  core::secure_wipe(encoded.data(), encoded.size());
  if (!written) {
    core::secure_wipe(raw.data(), raw.size());
    return core::fail(std::move(written.error()).context("creating the token store key"));
  }
  const int linked = ::link(staging.c_str(), path.c_str());
  const int link_error = errno;
  ::unlink(staging.c_str());
  if (linked != 0) {
    core::secure_wipe(raw.data(), raw.size());
    if (link_error == EEXIST) return read_key_file();  // another process's key won
    return core::fail(core::classify_errno(link_error), "store.key",
                      fmt::format("creating the token store key {}: {}", path.string(),
                                  std::strerror(link_error)));
  }
  (void)core::sync_directory(path.parent_path());
  return make_store_key(core::Secret::take(std::move(raw)), path.string());
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
