// The client credentials request as it goes on the wire, for both ways of
// sending the secret; and a refusal that is not retried. The grant against a
// real server is in tests/integration/oauth2/.
#include "mailoauth/oauth2/client_credentials.hpp"

#include <gtest/gtest.h>

#include "local_http_peer.hpp"

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;

ClientCredentialsGrant grant(ClientAuthentication authentication) {
  ClientCredentialsGrant grant;
  grant.token_url = "https://login.microsoftonline.com/contoso/oauth2/v2.0/token";
  grant.client_id = "00000000-aaaa";
  grant.client_secret = core::Secret("s~3cr=t&");
  grant.scopes = {"https://outlook.office365.com/.default"};
  grant.authentication = authentication;
  return grant;
}

TEST(ClientCredentialsTest, SecretInTheForm) {
  const HttpRequest request =
      client_credentials_request(grant(ClientAuthentication::SecretPost)).value();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
  EXPECT_EQ(request.body.reveal(),
            "grant_type=client_credentials&scope=https%3A%2F%2Foutlook.office365.com%2F.default"
            "&client_id=00000000-aaaa&client_secret=s~3cr%3Dt%26");
  EXPECT_TRUE(request.authorization.empty());
}

TEST(ClientCredentialsTest, SecretInBasicHeaderIsFormEscapedFirst) {
  const HttpRequest request =
      client_credentials_request(grant(ClientAuthentication::SecretBasic)).value();
  EXPECT_EQ(request.body.reveal(),
            "grant_type=client_credentials&scope=https%3A%2F%2Foutlook.office365.com%2F.default");
  // base64("00000000-aaaa:s~3cr%3Dt%26")
  EXPECT_EQ(request.authorization.reveal(), "Basic MDAwMDAwMDAtYWFhYTpzfjNjciUzRHQlMjY=");
}

TEST(ClientCredentialsTest, IncompleteGrantIsAConfigError) {
  HttpClient http;
  RealSleeper sleeper;
  ClientCredentialsGrant empty;
  auto token = request_client_credentials(http, empty, {}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Config);
}

TEST(ClientCredentialsTest, RefusalIsNotRetried) {
  const std::string body = R"({"error":"invalid_client","error_codes":[7000215]})";
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                                  std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                                  body);
  HttpClient http;
  class CountingSleeper final : public Sleeper {
   public:
    void sleep(std::chrono::milliseconds) override { ++count; }
    int count = 0;
  } sleeper;
  ClientCredentialsGrant request = grant(ClientAuthentication::SecretPost);
  request.token_url = peer.url();
  auto token = request_client_credentials(http, request, {3, 10ms, 100ms}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.invalid_client");
  EXPECT_NE(token.error().message().find("AADSTS7000215"), std::string::npos);
  EXPECT_EQ(sleeper.count, 0);
}

}  // namespace
}  // namespace mailoauth::oauth2
