// The client credentials grant against the real OAuth2 server of the test stack
// (oidc-provider): both ways of sending the secret, refusals explained, a wrong
// URL and a dead server classified, retries bounded, the proxy variables
// honoured, and a trace-level log that never contains the secret or the token.
#include "mailoauth/oauth2/client_credentials.hpp"

#include <cstdlib>

#include <gtest/gtest.h>

#include "../stack_env.hpp"

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;
using testing::StackEnv;

class CountingSleeper final : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds) override { ++count; }
  int count = 0;
};

ClientCredentialsGrant alice() {
  const auto& env = StackEnv::get();
  ClientCredentialsGrant grant;
  grant.token_url = env["OIDC_TOKEN_URL"];
  grant.client_id = env["CC_CLIENT_ID"];
  grant.client_secret = core::Secret(env["CC_CLIENT_SECRET"]);
  grant.scopes = {env["MAIL_SCOPE"]};
  return grant;
}

TEST(ClientCredentialsStackTest, SecretPostGetsABearerToken) {
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, alice(), {}, sleeper);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_GT(token->access_token.size(), 20u);
  EXPECT_EQ(token->token_type, "Bearer");
  ASSERT_TRUE(token->expires_in.has_value());
  EXPECT_GT(*token->expires_in, 60s);
  EXPECT_TRUE(token->refresh_token.empty()) << "client credentials never get a refresh token";
}

TEST(ClientCredentialsStackTest, SecretBasicGetsABearerToken) {
  const auto& env = StackEnv::get();
  ClientCredentialsGrant grant = alice();
  grant.client_id = env["CC_BOB_CLIENT_ID"];
  grant.client_secret = core::Secret(env["CC_BOB_CLIENT_SECRET"]);
  grant.authentication = ClientAuthentication::SecretBasic;
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, grant, {}, sleeper);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_FALSE(token->access_token.empty());
}

TEST(ClientCredentialsStackTest, WrongSecretIsARefusalWithoutRetries) {
  ClientCredentialsGrant grant = alice();
  grant.client_secret = core::Secret("not-the-secret");
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, grant, {3, 10ms, 100ms}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.invalid_client");
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(token.error().message().find("HTTP 401"), std::string::npos) << token.error().message();
  EXPECT_FALSE(token.error().remedy().empty());
  EXPECT_EQ(sleeper.count, 0);
}

// oidc-provider, unlike Entra (AADSTS70011, see the unit tests), drops scopes it
// does not know and says which it granted; the granted scope is what we keep.
TEST(ClientCredentialsStackTest, GrantedScopeIsReadFromTheAnswer) {
  ClientCredentialsGrant grant = alice();
  grant.scopes = {"no-such-scope", StackEnv::get()["MAIL_SCOPE"]};
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, grant, {}, sleeper);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(token->scope, StackEnv::get()["MAIL_SCOPE"]);

  grant.scopes = {"no-such-scope"};
  auto scopeless = request_client_credentials(http, grant, {}, sleeper);
  ASSERT_TRUE(scopeless.has_value()) << scopeless.error().describe();
  EXPECT_EQ(scopeless->scope, "");
}

TEST(ClientCredentialsStackTest, WrongPathIsAConfigError) {
  ClientCredentialsGrant grant = alice();
  grant.token_url = StackEnv::get()["OIDC_ISSUER"] + "/no-such-endpoint";
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, grant, {}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Config) << token.error().message();
  EXPECT_NE(token.error().message().find("HTTP 404"), std::string::npos);
}

TEST(ClientCredentialsStackTest, DeadServerIsTemporaryAndRetriedBoundedly) {
  ClientCredentialsGrant grant = alice();
  grant.token_url = "http://127.0.0.1:9/token";  // discard port: nothing listens
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, grant, {3, 1ms, 5ms}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(sleeper.count, 2);
  EXPECT_EQ(token.error().message().rfind("after 3 attempts: ", 0), 0u) << token.error().message();
}

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ClientCredentialsStackTest, ProxyVariablesAreHonoured) {
  HttpClient http;
  CountingSleeper sleeper;
  {
    ScopedEnv proxy("http_proxy", "http://127.0.0.1:9");
    ScopedEnv no_proxy_unset("no_proxy", "");
    ScopedEnv no_proxy_upper_unset("NO_PROXY", "");
    auto through_dead_proxy = request_client_credentials(http, alice(), {1, 1ms, 1ms}, sleeper);
    ASSERT_FALSE(through_dead_proxy.has_value()) << "the proxy variable was ignored";
    EXPECT_EQ(through_dead_proxy.error().error_class(), core::ErrorClass::Temporary);
  }
  {
    ScopedEnv proxy("http_proxy", "http://127.0.0.1:9");
    ScopedEnv no_proxy("no_proxy", "127.0.0.1");
    auto direct = request_client_credentials(http, alice(), {1, 1ms, 1ms}, sleeper);
    ASSERT_TRUE(direct.has_value()) << direct.error().describe();
  }
}

TEST(ClientCredentialsStackTest, TraceNeverShowsSecretOrToken) {
  core::MemorySink sink;
  core::Logger logger(core::LogLevel::Trace, core::LogFormat::Logfmt, &sink);
  HttpClient http({}, &logger);
  CountingSleeper sleeper;
  const ClientCredentialsGrant grant = alice();
  auto token = request_client_credentials(http, grant, {}, sleeper);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  const std::string log = sink.text();
  EXPECT_NE(log.find("POST /token"), std::string::npos) << "no trace was written";
  EXPECT_NE(log.find("client_secret=<redacted"), std::string::npos) << log;
  EXPECT_EQ(log.find(grant.client_secret.reveal()), std::string::npos) << "secret leaked";
  EXPECT_EQ(log.find(token->access_token.reveal()), std::string::npos) << "token leaked";
}

}  // namespace
}  // namespace mailoauth::oauth2
