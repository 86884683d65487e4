// The drop-ins' -client-secret-file is read by oauth2::read_secret_source, the
// one reader of secret files: the same size limit (a 70 KB file is not a
// secret and is refused without a byte of it in the message), the trailing
// newline dropped, and the reason for a refusal.
#include "mailoauth/compat/client_credentials_token.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

namespace fs = std::filesystem;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-compat-XXXXXX").string();
    directory_ = mkdtemp(pattern.data());
  }
  void TearDown() override { fs::remove_all(directory_); }
  fs::path directory_;
};

TEST_F(SecretFileTest, TheSharedReaderKeepsItsSizeLimitAndNewlineRule) {
  std::ofstream(directory_ / "secret") << "the-value\n";
  auto secret = read_secret_file((directory_ / "secret").string());
  ASSERT_TRUE(secret.has_value()) << secret.error().describe();
  EXPECT_EQ(secret->reveal(), "the-value");

  std::ofstream(directory_ / "huge") << std::string(70 * 1024, 'S');
  auto huge = read_secret_file((directory_ / "huge").string());
  ASSERT_FALSE(huge.has_value()) << "a 70 KB file was taken as a client secret";
  EXPECT_EQ(huge.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(huge.error().describe().find("SSSS"), std::string::npos);

  auto absent = read_secret_file((directory_ / "absent").string());
  ASSERT_FALSE(absent.has_value());
  EXPECT_NE(absent.error().message().find("ENOENT"), std::string::npos) << absent.error().message();
}

}  // namespace
}  // namespace mailoauth::compat
