// The device flow and the refresh grant against the real OAuth2 server: the
// code is shown, polling sees the user "sign in" (the stack's test-only
// approval, from another thread), tokens with a refresh token arrive, the
// refresh rotates it, the old refresh token is then refused with invalid_grant
// and a remedy, and a declined sign-in ends the flow with access_denied.
#include "mailoauth/oauth2/device_flow.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "mailoauth/oauth2/form.hpp"
#include "mailoauth/oauth2/refresh.hpp"

#include "../stack_env.hpp"

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;
using testing::StackEnv;

// Polls quickly: the stack's server does not enforce its interval.
class QuickSleeper final : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds) override { std::this_thread::sleep_for(100ms); }
};

ClientIdentity confidential() {
  const auto& env = StackEnv::get();
  return {env["CONF_CLIENT_ID"], core::Secret(env["CONF_CLIENT_SECRET"]),
          ClientAuthentication::SecretBasic};
}

std::vector<std::string> scopes() {
  return {"openid", "email", "offline_access", StackEnv::get()["MAIL_SCOPE"]};
}

// The stack's TEST ONLY endpoint standing in for a person at a browser.
void approve(const std::string& user_code, bool deny = false) {
  HttpClient http;
  HttpRequest request;
  request.url = StackEnv::get()["OIDC_TEST_DEVICE_APPROVE_URL"];
  std::vector<FormField> fields = {{"user_code", user_code},
                                   {"login_hint", StackEnv::get()["USER1"]}};
  if (deny) fields.emplace_back("deny", "1");
  request.body = form_encode(fields);
  auto response = http.perform(request);
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  ASSERT_EQ(response->status, 200) << response->body;
}

TEST(DeviceFlowStackTest, SignInThenRefreshRotates) {
  const auto& env = StackEnv::get();
  HttpClient http;
  auto authorization =
      start_device_authorization(http, env["OIDC_DEVICE_URL"], confidential(), scopes());
  ASSERT_TRUE(authorization.has_value()) << authorization.error().describe();
  EXPECT_FALSE(authorization->user_code.empty());
  EXPECT_EQ(authorization->verification_uri.rfind(env["OIDC_ISSUER"], 0), 0u);

  std::thread person([code = authorization->user_code] {
    std::this_thread::sleep_for(300ms);  // the first polls see authorization_pending
    approve(code);
  });
  QuickSleeper sleeper;
  auto token = poll_device_token(http, env["OIDC_TOKEN_URL"], confidential(), *authorization,
                                 core::system_clock(), sleeper);
  person.join();
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  ASSERT_FALSE(token->refresh_token.empty()) << "offline_access should give a refresh token";
  EXPECT_FALSE(token->access_token.empty());

  RefreshGrant grant{env["OIDC_TOKEN_URL"], confidential(), token->refresh_token.clone(), {}};
  auto refreshed = request_refresh(http, grant, {}, sleeper);
  ASSERT_TRUE(refreshed.has_value()) << refreshed.error().describe();
  ASSERT_FALSE(refreshed->refresh_token.empty());
  EXPECT_FALSE(refreshed->refresh_token.equals(token->refresh_token)) << "no rotation";

  auto replayed = request_refresh(http, grant, {}, sleeper);  // the old, rotated-out token
  ASSERT_FALSE(replayed.has_value());
  EXPECT_EQ(replayed.error().code(), "oauth2.invalid_grant");
  EXPECT_EQ(replayed.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(replayed.error().remedy().find("token login"), std::string::npos);
}

TEST(DeviceFlowStackTest, DeclinedSignInEndsWithAccessDenied) {
  const auto& env = StackEnv::get();
  HttpClient http;
  auto authorization =
      start_device_authorization(http, env["OIDC_DEVICE_URL"], confidential(), scopes());
  ASSERT_TRUE(authorization.has_value()) << authorization.error().describe();
  approve(authorization->user_code, /*deny=*/true);
  QuickSleeper sleeper;
  auto token = poll_device_token(http, env["OIDC_TOKEN_URL"], confidential(), *authorization,
                                 core::system_clock(), sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.access_denied");
}

TEST(DeviceFlowStackTest, WrongClientSecretIsRefusedAtStart) {
  const auto& env = StackEnv::get();
  HttpClient http;
  ClientIdentity client = confidential();
  client.client_secret = core::Secret("NOT-THE-SECRET");
  auto authorization = start_device_authorization(http, env["OIDC_DEVICE_URL"], client, scopes());
  ASSERT_FALSE(authorization.has_value());
  EXPECT_EQ(authorization.error().code(), "oauth2.invalid_client");
}

}  // namespace
}  // namespace mailoauth::oauth2
