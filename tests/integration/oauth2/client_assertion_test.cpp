// Certificate credentials (private_key_jwt) against the real OAuth2 server of
// the test stack: oidc-provider holds cc-cert's certificate as its JWKS (made
// per run by tests/stack/start), verifies our assertion's signature, audience,
// issuer and jti, and issues a token that its introspection endpoint reports
// active for cc-cert; two grants in a row work (a fresh jti each: the server
// refuses a reused one); a key the server does not know is invalid_client,
// Permanent, with a remedy, and not retried.
#include "mailoauth/oauth2/client_assertion.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mailoauth/oauth2/client_credentials.hpp"

#include "../../unit/oauth2/test_keys.hpp"
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

ClientCredentialsGrant certificate_grant(const std::filesystem::path& certificate,
                                         const std::filesystem::path& key) {
  const auto& env = StackEnv::get();
  ClientCredentialsGrant grant;
  grant.token_url = env["OIDC_TOKEN_URL"];
  grant.client_id = env["CERT_CLIENT_ID"];
  grant.scopes = {env["MAIL_SCOPE"]};
  grant.authentication = ClientAuthentication::PrivateKeyJwt;
  auto credentials = AssertionCredentials::load(certificate, key);
  EXPECT_TRUE(credentials.has_value()) << credentials.error().describe();
  if (credentials) {
    grant.assertion = std::make_shared<const AssertionCredentials>(std::move(*credentials));
  }
  return grant;
}

// RFC 7662 introspection with the stack's introspection client.
nlohmann::json introspect(HttpClient& http, const core::Secret& token) {
  const auto& env = StackEnv::get();
  HttpRequest request;
  request.url = env["OIDC_INTROSPECT_URL"];
  request.body = form_encode({{"token", token.reveal()},
                              {"client_id", env["INTROSPECT_CLIENT_ID"]},
                              {"client_secret", env["INTROSPECT_CLIENT_SECRET"]}});
  auto response = http.perform(request);
  if (!response || response->status != 200) return nlohmann::json();
  return nlohmann::json::parse(response->body, nullptr, false);
}

TEST(ClientAssertionStackTest, CertificateGetsATokenTheServerKnowsAsTheClients) {
  const auto& env = StackEnv::get();
  const ClientCredentialsGrant grant =
      certificate_grant(env["CERT_CLIENT_CERT_FILE"], env["CERT_CLIENT_KEY_FILE"]);
  ASSERT_TRUE(grant.assertion);
  HttpClient http;
  CountingSleeper sleeper;
  for (int round = 0; round < 2; ++round) {  // the second needs a fresh jti
    auto token = request_client_credentials(http, grant, {}, sleeper);
    ASSERT_TRUE(token.has_value()) << "round " << round << ": " << token.error().describe();
    EXPECT_EQ(token->token_type, "Bearer");
    EXPECT_TRUE(token->refresh_token.empty());
    const nlohmann::json introspection = introspect(http, token->access_token);
    ASSERT_TRUE(introspection.is_object()) << "introspection failed";
    EXPECT_EQ(introspection.value("active", false), true) << introspection.dump();
    EXPECT_EQ(introspection.value("client_id", ""), env["CERT_CLIENT_ID"]) << introspection.dump();
    EXPECT_EQ(introspection.value("email", ""), env["CERT_CLIENT_MAILBOX"]) << introspection.dump();
  }
  EXPECT_EQ(sleeper.count, 0);
}

TEST(ClientAssertionStackTest, UnknownKeyIsInvalidClientWithARemedy) {
  testing::TemporaryDirectory directory;
  ASSERT_TRUE(testing::make_key_and_certificate(directory.path()));
  const ClientCredentialsGrant grant =
      certificate_grant(directory.path() / "cert.pem", directory.path() / "key.pem");
  ASSERT_TRUE(grant.assertion);
  HttpClient http;
  CountingSleeper sleeper;
  auto token = request_client_credentials(http, grant, {3, 1ms, 5ms}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.invalid_client") << token.error().describe();
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_FALSE(token.error().remedy().empty());
  EXPECT_EQ(sleeper.count, 0);
}

}  // namespace
}  // namespace mailoauth::oauth2
