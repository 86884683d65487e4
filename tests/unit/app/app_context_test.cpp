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

TEST(AppContext, OneHttpClientPerCaFile) {
  TemporaryDirectory state;
  GlobalOptions global;
  global.state_dir = state.path.string();
  AppContext context(global);
  const auto system = account_trusting("system", "");
  const auto private_ca = account_trusting("private", "/etc/mailoauth/private-ca.pem");
  const auto same_ca = account_trusting("graph", "/etc/mailoauth/private-ca.pem");
  EXPECT_NE(&context.http(system), &context.http(private_ca));
  EXPECT_EQ(&context.http(private_ca), &context.http(same_ca));
  EXPECT_EQ(&context.http(system), &context.http(system));
}

TEST(AppContext, OneEnginePerCaFileOverThatClient) {
  TemporaryDirectory state;
  GlobalOptions global;
  global.state_dir = state.path.string();
  AppContext context(global);
  const auto system = account_trusting("system", "");
  const auto private_ca = account_trusting("private", "/etc/mailoauth/private-ca.pem");
  const auto same_ca = account_trusting("graph", "/etc/mailoauth/private-ca.pem");
  auto first = context.engine(private_ca);
  auto second = context.engine(system);
  auto third = context.engine(same_ca);
  ASSERT_TRUE(first && second && third) << (first ? "" : first.error().describe());
  EXPECT_NE(*first, *second);
  EXPECT_EQ(*first, *third);
}

}  // namespace
}  // namespace mailoauth::app
