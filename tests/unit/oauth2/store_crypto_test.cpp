// Secrets at rest: sealing round-trips, any change to the ciphertext, the
// associated data or the key is refused, and the key comes from the documented
// sources in order, with a key file created 0600 on first use and reused after.
#include "mailoauth/oauth2/store_crypto.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "processes_together.hpp"

namespace mailoauth::oauth2 {
namespace {

namespace fs = std::filesystem;

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-key-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TemporaryDirectory() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

StoreKey key_of(char fill) {
  return *make_store_key(core::Secret(std::string(32, fill)), "test");
}

TEST(StoreCryptoTest, SealAndUnseal) {
  const StoreKey key = key_of('k');
  const std::string sealed = seal(key, "refresh-token-value", "work/refresh_token");
  EXPECT_EQ(sealed.find("refresh-token-value"), std::string::npos);
  EXPECT_EQ(sealed.size(), 24 + 19 + 16u);
  auto opened = unseal(key, sealed, "work/refresh_token");
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(opened->reveal(), "refresh-token-value");
}

TEST(StoreCryptoTest, SameValueSealsDifferentlyEachTime) {
  const StoreKey key = key_of('k');
  EXPECT_NE(seal(key, "x", "a"), seal(key, "x", "a"));
}

TEST(StoreCryptoTest, RefusesTamperingWrongPlaceAndWrongKey) {
  const StoreKey key = key_of('k');
  std::string sealed = seal(key, "token", "work/access_token");
  EXPECT_FALSE(unseal(key, sealed, "home/access_token").has_value()) << "moved to another row";
  EXPECT_FALSE(unseal(key_of('x'), sealed, "work/access_token").has_value()) << "other key";
  sealed[30] ^= 1;
  auto tampered = unseal(key, sealed, "work/access_token");
  ASSERT_FALSE(tampered.has_value());
  EXPECT_EQ(tampered.error().code(), "store.cannot_decrypt");
  EXPECT_FALSE(unseal(key, "short", "work/access_token").has_value());
}

TEST(StoreCryptoTest, KeyFromEnvironmentHexOrBase64) {
  StoreKeySources sources;
  sources.environment_value = std::string(64, 'a');
  auto hex = load_store_key(sources);
  ASSERT_TRUE(hex.has_value()) << hex.error().message();
  EXPECT_EQ(hex->bytes().reveal(), std::string(32, '\xaa'));
  EXPECT_EQ(hex->origin(), "MAILOAUTH_STORE_KEY");
  sources.environment_value = "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=\n";
  auto base64 = load_store_key(sources);
  ASSERT_TRUE(base64.has_value()) << base64.error().message();
  EXPECT_EQ(base64->bytes().reveal(), std::string(32, '\xaa'));
}

TEST(StoreCryptoTest, BadEnvironmentKeyIsAConfigErrorWithRemedy) {
  StoreKeySources sources;
  sources.environment_value = "too-short";
  auto key = load_store_key(sources);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(key.error().remedy().find("/dev/urandom"), std::string::npos);
  EXPECT_EQ(key.error().message().find("too-short"), std::string::npos) << "the value was quoted";
}

TEST(StoreCryptoTest, KeyFileCreatedOnceWithMode0600AndReused) {
  TemporaryDirectory directory;
  StoreKeySources sources;
  sources.key_file = directory.path() / "state" / "store.key";
  auto first = load_store_key(sources);
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  struct stat info {};
  ASSERT_EQ(::stat(sources.key_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(sources.key_file.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  auto second = load_store_key(sources);
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(first->bytes().equals(second->bytes()));
}

TEST(StoreCryptoTest, KeyFileReadableByOthersIsRefused) {
  TemporaryDirectory directory;
  StoreKeySources sources;
  sources.key_file = directory.path() / "store.key";
  ASSERT_TRUE(load_store_key(sources).has_value());
  ::chmod(sources.key_file.c_str(), 0644);
  auto key = load_store_key(sources);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().code(), "store.key_mode");
  EXPECT_NE(key.error().remedy().find("chmod 600"), std::string::npos);
}

TEST(StoreCryptoTest, CredentialsDirectoryWinsOverKeyFile) {
  TemporaryDirectory directory;
  {
    std::ofstream credential(directory.path() / "mailoauth-store-key");
    credential << std::string(64, 'b') << "\n";
  }
  StoreKeySources sources;
  sources.credentials_directory = directory.path();
  sources.key_file = directory.path() / "unused.key";
  auto key = load_store_key(sources);
  ASSERT_TRUE(key.has_value()) << key.error().describe();
  EXPECT_EQ(key->bytes().reveal(), std::string(32, '\xbb'));
  EXPECT_FALSE(fs::exists(sources.key_file));
}

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    out += "0123456789abcdef"[c >> 4];
    out += "0123456789abcdef"[c & 15];
  }
  return out;
}

// Processes starting together on a new state directory (a Nagios host running
// several checks at its first start) must all end up with the key on disk:
// before link(), each wrote its own and the last rename won, so the others
// sealed the store with a key that no longer existed. Children wait on a pipe
// and start when the parent closes it; every round uses a fresh directory.
TEST(StoreCryptoTest, ProcessesCreatingTheKeyTogetherAllGetTheKeyOnDisk) {
  constexpr int kRounds = 10;
  constexpr int kProcesses = 12;
  for (int round = 0; round < kRounds; ++round) {
    TemporaryDirectory directory;
    StoreKeySources sources;
    sources.key_file = directory.path() / "state" / "store.key";
    const fs::path results = directory.path() / "results";
    const auto codes = testing::run_processes_together(kProcesses, [&](int) {
      auto key = load_store_key(sources);
      if (!key) return 2;
      const std::string line = hex(key->bytes().reveal()) + "\n";
      const int fd = ::open(results.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
      (void)!::write(fd, line.data(), line.size());
      ::close(fd);
      return 0;
    });
    for (int code : codes) EXPECT_EQ(code, 0) << "a child failed to get a key";
    auto on_disk = load_store_key(sources);
    ASSERT_TRUE(on_disk.has_value()) << on_disk.error().describe();
    const std::string expected = hex(on_disk->bytes().reveal());
    std::ifstream stream(results);
    std::set<std::string> seen;
    for (std::string line; std::getline(stream, line);) seen.insert(line);
    ASSERT_EQ(seen.size(), 1u) << "round " << round << ": processes used different keys";
    EXPECT_EQ(*seen.begin(), expected) << "round " << round << ": a key not on disk was used";
    std::vector<std::string> leftovers;
    for (const auto& entry : fs::directory_iterator(sources.key_file.parent_path())) {
      if (entry.path().filename() != "store.key") leftovers.push_back(entry.path().string());
    }
    EXPECT_TRUE(leftovers.empty()) << "temporary key files left behind: " << leftovers.front();
  }
}

TEST(StoreCryptoTest, AStateDirectoryThatCannotBeCreatedIsNamedWithItsReason) {
  TemporaryDirectory directory;
  { std::ofstream blocker(directory.path() / "file"); }
  StoreKeySources sources;
  sources.key_file = directory.path() / "file" / "state" / "store.key";
  auto key = load_store_key(sources);
  ASSERT_FALSE(key.has_value());
  EXPECT_EQ(key.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(key.error().code(), "store.state_directory") << key.error().describe();
  EXPECT_NE(key.error().message().find("state directory " +
                                       (directory.path() / "file" / "state").string()),
            std::string::npos)
      << key.error().message();
  EXPECT_NE(key.error().message().find("Not a directory"), std::string::npos)
      << key.error().message();
}

}  // namespace
}  // namespace mailoauth::oauth2
