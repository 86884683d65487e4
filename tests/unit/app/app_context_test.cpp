// AppContext, the set-up the mailoauth programs share (apps/mailoauth/
// app_context): one HTTP client, and one token engine over it, per CA file.
// Before, the first account's CA file made the only client of the process, so
// an account and its graph_account with different CAs shared the wrong one.
#include "../../../apps/mailoauth/app_context.hpp"

#include <filesystem>

#include <gtest/gtest.h>

namespace mailoauth::app {
namespace {

struct TemporaryDirectory {
  TemporaryDirectory() {
    char pattern[] = "/tmp/mailoauth-app-test-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::filesystem::path path;
};

oauth2::Account account_trusting(std::string name, std::string ca_file) {
  oauth2::Account account;
  account.name = std::move(name);
  account.ca_file = std::move(ca_file);
  return account;
}

// Accounts trusting the system store, a private CA, and the same private CA.
class AppContextTest : public ::testing::Test {
 protected:
  AppContextTest() : context_(options()) {}
  GlobalOptions options() {
    GlobalOptions global;
    global.state_dir = state_.path.string();
    return global;
  }
  TemporaryDirectory state_;
  AppContext context_;
  const oauth2::Account system_ = account_trusting("system", "");
  const oauth2::Account private_ca_ = account_trusting("private", "/etc/mailoauth/private-ca.pem");
  const oauth2::Account same_ca_ = account_trusting("graph", "/etc/mailoauth/private-ca.pem");
};

TEST_F(AppContextTest, OneHttpClientPerCaFile) {
  EXPECT_NE(&context_.http(system_), &context_.http(private_ca_));
  EXPECT_EQ(&context_.http(private_ca_), &context_.http(same_ca_));
  EXPECT_EQ(&context_.http(system_), &context_.http(system_));
}

TEST_F(AppContextTest, OneEnginePerCaFileOverThatClient) {
  auto first = context_.engine(private_ca_);
  auto second = context_.engine(system_);
  auto third = context_.engine(same_ca_);
  ASSERT_TRUE(first && second && third) << (first ? "" : first.error().describe());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(*first, *third);
}

}  // namespace
}  // namespace mailoauth::app
