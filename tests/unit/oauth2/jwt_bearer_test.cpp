// The JWT bearer grant with a Google service-account key file made here (an
// RSA key from the openssl command, wrapped in the JSON Google hands out):
// the form exactly as sent to a LocalHttpPeer, the assertion's signature and
// claims, a refresh token in the answer not kept, the wrong kinds of Google
// JSON file refused by name, and a delegation refusal explained.
#include "mailoauth/oauth2/jwt_bearer.hpp"

#include <gtest/gtest.h>

#include "local_http_peer.hpp"
#include "test_keys.hpp"

namespace mailoauth::oauth2 {
namespace {

using testing::TemporaryDirectory;

class JwtBearerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::make_key_and_certificate(directory_.path()));
    key_pem_ = testing::read_file(directory_.path() / "key.pem");
  }
  // The key file as Google writes it, with `token_uri`.
  std::filesystem::path key_file(const std::string& token_uri,
                                 const std::string& type = "service_account") {
    const nlohmann::json file = {
        {"type", type},
        {"project_id", "mail-project"},
        {"private_key_id", "0123abcd"},
        {"private_key", key_pem_},
        {"client_email", "relay@mail-project.iam.gserviceaccount.com"},
        {"client_id", "1234567890"},
        {"token_uri", token_uri},
    };
    const auto path = directory_.path() / "service-account.json";
    std::ofstream(path) << file.dump(2);
    return path;
  }
  JwtBearerGrant grant(const std::string& token_uri) {
    auto account = load_service_account_key(key_file(token_uri));
    EXPECT_TRUE(account.has_value()) << account.error().describe();
    JwtBearerGrant grant;
    if (account) grant.account = std::move(*account);
    grant.scopes = {"https://mail.google.com/"};
    grant.subject = "alice@example.com";
    return grant;
  }

  TemporaryDirectory directory_;
  std::string key_pem_;
};

TEST_F(JwtBearerTest, SendsTheGrantAndASignedAssertion) {
  const std::string body =
      R"({"access_token":"ya29.token","token_type":"Bearer","expires_in":3599,)"
      R"("refresh_token":"should-not-be-kept"})";
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              testing::http_answer("200 OK", body));
  HttpClient http;
  RealSleeper sleeper;
  core::ManualClock clock;
  auto token = request_jwt_bearer(http, grant(peer.url()), {}, sleeper, clock);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(token->access_token.reveal(), "ya29.token");
  EXPECT_TRUE(token->refresh_token.empty());

  const std::string sent = testing::http_body(peer.received());
  EXPECT_EQ(
      sent.rfind("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=", 0),
      0u)
      << sent;
  const auto form = testing::parse_form(sent);
  ASSERT_EQ(form.size(), 2u) << "no client_id or secret is sent: " << sent;
  const auto jwt = testing::split_jwt(testing::form_value(form, "assertion"));
  EXPECT_TRUE(testing::verify_with_certificate(jwt, directory_.path() / "cert.pem"));
  EXPECT_EQ(jwt.header["alg"], "RS256");
  EXPECT_EQ(jwt.header["kid"], "0123abcd");
  EXPECT_EQ(jwt.payload["iss"], "relay@mail-project.iam.gserviceaccount.com");
  EXPECT_EQ(jwt.payload["scope"], "https://mail.google.com/");
  EXPECT_EQ(jwt.payload["aud"], peer.url());
  EXPECT_EQ(jwt.payload["sub"], "alice@example.com");
  EXPECT_EQ(jwt.payload["iat"], 1'700'000'000);
  EXPECT_EQ(jwt.payload["exp"], 1'700'003'600);
}

TEST_F(JwtBearerTest, WithoutSubjectThereIsNoSubClaim) {
  JwtBearerGrant without = grant("https://oauth2.googleapis.com/token");
  without.subject.clear();
  auto assertion = service_account_assertion(without, std::chrono::system_clock::now());
  ASSERT_TRUE(assertion.has_value());
  EXPECT_FALSE(testing::split_jwt(assertion->reveal()).payload.contains("sub"));
}

TEST_F(JwtBearerTest, LifetimeAboveAnHourIsRefused) {
  JwtBearerGrant long_lived = grant("https://oauth2.googleapis.com/token");
  long_lived.lifetime = std::chrono::seconds(3601);
  auto request = jwt_bearer_request(long_lived, std::chrono::system_clock::now());
  ASSERT_FALSE(request.has_value());
  EXPECT_EQ(request.error().code(), "jwt_bearer.lifetime");
}

TEST_F(JwtBearerTest, WrongKindsOfKeyFileAreRefusedByName) {
  auto user = load_service_account_key(key_file("https://x", "authorized_user"));
  ASSERT_FALSE(user.has_value());
  EXPECT_EQ(user.error().code(), "jwt_bearer.wrong_key_type");
  EXPECT_NE(user.error().message().find("user's credentials"), std::string::npos);
  EXPECT_NE(user.error().remedy().find("Add key > JSON"), std::string::npos);

  auto client = parse_service_account_key(
      core::Secret(R"({"installed":{"client_id":"x","client_secret":"y"}})"), "client.json");
  ASSERT_FALSE(client.has_value());
  EXPECT_NE(client.error().message().find("OAuth client file"), std::string::npos);
  EXPECT_EQ(client.error().error_class(), core::ErrorClass::Config);

  auto not_json = parse_service_account_key(core::Secret("-----BEGIN PRIVATE KEY-----"), "k");
  ASSERT_FALSE(not_json.has_value());
  EXPECT_EQ(not_json.error().code(), "jwt_bearer.not_json");

  auto no_key = parse_service_account_key(
      core::Secret(R"({"type":"service_account","client_email":"a@b"})"), "k.json");
  ASSERT_FALSE(no_key.has_value());
  EXPECT_EQ(no_key.error().code(), "jwt_bearer.incomplete_key");
}

TEST_F(JwtBearerTest, MissingTokenUriDefaultsToGoogle) {
  const nlohmann::json file = {
      {"type", "service_account"}, {"client_email", "a@b"}, {"private_key", key_pem_}};
  auto account = parse_service_account_key(core::Secret(file.dump()), "k.json");
  ASSERT_TRUE(account.has_value()) << account.error().describe();
  EXPECT_EQ(account->token_uri, "https://oauth2.googleapis.com/token");
}

TEST_F(JwtBearerTest, DelegationRefusalSaysWhereToAllowIt) {
  const std::string body =
      R"({"error":"unauthorized_client","error_description":"Client is unauthorized to )"
      R"(retrieve access tokens using this method"})";
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer,
                              testing::http_answer("401 Unauthorized", body));
  HttpClient http;
  RealSleeper sleeper;
  auto token = request_jwt_bearer(http, grant(peer.url()), {3, {}, {}}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(token.error().remedy().find("Domain-wide delegation"), std::string::npos)
      << token.error().remedy();
  EXPECT_EQ(peer.answered(), 1);
}

}  // namespace
}  // namespace mailoauth::oauth2
