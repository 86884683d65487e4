// The (legacy) password grant: the form exactly as a LocalHttpPeer receives
// it, tokens from a canned answer, Entra's wrong-password and MFA refusals
// explained with the catalogue's remedy plus the legacy warning, and a
// personal-account token URL refused before anything is sent.
#include "mailoauth/oauth2/password_grant.hpp"

#include <gtest/gtest.h>

#include "local_http_peer.hpp"
#include "test_keys.hpp"

namespace mailoauth::oauth2 {
namespace {

PasswordGrant grant(const std::string& url) {
  PasswordGrant grant;
  grant.token_url = url;
  grant.client.client_id = "public-app";
  grant.client.authentication = ClientAuthentication::None;
  grant.username = "alice@contoso.com";
  grant.password = core::Secret("p&ss w=rd");
  grant.scopes = {"https://outlook.office.com/SMTP.Send", "offline_access"};
  return grant;
}

TEST(PasswordGrantTest, SendsUserAndPasswordAndReadsTheTokens) {
  const std::string body =
      R"({"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt"})";
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              testing::http_answer("200 OK", body));
  HttpClient http;
  RealSleeper sleeper;
  auto token = request_password_grant(http, grant(peer.url()), {}, sleeper);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(token->access_token.reveal(), "at");
  EXPECT_EQ(token->refresh_token.reveal(), "rt");
  EXPECT_EQ(testing::http_body(peer.received()),
            "grant_type=password&username=alice%40contoso.com&password=p%26ss+w%3Drd"
            "&scope=https%3A%2F%2Foutlook.office.com%2FSMTP.Send+offline_access"
            "&client_id=public-app");
}

TEST(PasswordGrantTest, WrongPasswordIsExplainedAndMarkedLegacy) {
  const std::string body =
      R"({"error":"invalid_grant","error_description":"AADSTS50126: Error validating )"
      R"(credentials due to invalid username or password.","error_codes":[50126]})";
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              testing::http_answer("400 Bad Request", body));
  HttpClient http;
  RealSleeper sleeper;
  auto token = request_password_grant(http, grant(peer.url()), {3, {}, {}}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(token.error().message().find("AADSTS50126"), std::string::npos);
  EXPECT_NE(token.error().remedy().find("LEGACY"), std::string::npos) << token.error().remedy();
  EXPECT_NE(token.error().remedy().find("device flow"), std::string::npos);
  EXPECT_EQ(token.error().message().find("p&ss"), std::string::npos);
  EXPECT_EQ(peer.answered(), 1);
}

TEST(PasswordGrantTest, MfaRefusalSaysWhatReplacesTheGrant) {
  const std::string body = R"({"error":"invalid_grant","error_codes":[50076]})";
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              testing::http_answer("400 Bad Request", body));
  HttpClient http;
  RealSleeper sleeper;
  auto token = request_password_grant(http, grant(peer.url()), {}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_NE(token.error().message().find("multi-factor"), std::string::npos)
      << token.error().message();
  EXPECT_NE(token.error().remedy().find("fails whenever MFA"), std::string::npos);
}

TEST(PasswordGrantTest, PersonalAccountsAreRefusedBeforeSending) {
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              testing::http_answer("200 OK", "{}"));
  HttpClient http;
  RealSleeper sleeper;
  auto token =
      request_password_grant(http, grant(peer.url("/Consumers/oauth2/v2.0/token")), {}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.password_grant_personal");
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(peer.answered(), 0);
}

TEST(PasswordGrantTest, IncompleteGrantIsAConfigError) {
  HttpClient http;
  RealSleeper sleeper;
  PasswordGrant empty = grant("https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
  empty.password = core::Secret();
  auto token = request_password_grant(http, empty, {}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.incomplete_grant");
}

}  // namespace
}  // namespace mailoauth::oauth2
