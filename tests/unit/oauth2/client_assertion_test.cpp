// Certificate credentials: keys and self-signed certificates made per test with
// the openssl command; the produced JWT's signature verified with OpenSSL
// against the certificate's public key, its x5t#S256 compared with what the
// openssl command line computes, its claims checked, a fresh jti per request;
// encrypted, mismatched and missing keys refused with a remedy; the
// certificate's notAfter read for the expiry checks.
#include "mailoauth/oauth2/client_assertion.hpp"

#include <gtest/gtest.h>

#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/token_cache.hpp"

#include "test_keys.hpp"

namespace mailoauth::oauth2 {
namespace {

using testing::TemporaryDirectory;

constexpr const char* kTokenUrl = "https://login.microsoftonline.com/contoso/oauth2/v2.0/token";

class ClientAssertionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::make_key_and_certificate(directory_.path()))
        << "the openssl command could not make a key and certificate";
  }
  std::filesystem::path cert() const { return directory_.path() / "cert.pem"; }
  std::filesystem::path key() const { return directory_.path() / "key.pem"; }

  std::shared_ptr<const AssertionCredentials> load() const {
    auto credentials = AssertionCredentials::load(cert(), key());
    if (!credentials) {
      ADD_FAILURE() << credentials.error().describe();
      return nullptr;
    }
    return std::make_shared<const AssertionCredentials>(std::move(*credentials));
  }

  ClientCredentialsGrant grant() const {
    ClientCredentialsGrant grant;
    grant.token_url = kTokenUrl;
    grant.client_id = "00000000-aaaa";
    grant.scopes = {"https://outlook.office365.com/.default"};
    grant.authentication = ClientAuthentication::PrivateKeyJwt;
    grant.assertion = load();
    return grant;
  }

  TemporaryDirectory directory_;
};

TEST_F(ClientAssertionTest, ThumbprintsMatchTheOpensslCommandLine) {
  auto credentials = load();
  ASSERT_TRUE(credentials);
  const std::string expected = testing::openssl_thumbprint_sha256(cert());
  ASSERT_EQ(expected.size(), 43u) << "openssl pipeline output: " << expected;
  EXPECT_EQ(credentials->thumbprint_sha256(), expected);
  const std::string sha1_hex =
      testing::run_command("openssl x509 -in '" + cert().string() +
                           "' -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'");
  EXPECT_EQ(credentials->thumbprint_hex() + "\n", sha1_hex);
  EXPECT_EQ(credentials->thumbprint_sha1().size(), 27u);  // 20 bytes, base64url
}

TEST_F(ClientAssertionTest, RequestCarriesAVerifiableAssertion) {
  const auto before = std::chrono::system_clock::now();
  auto request = client_credentials_request(grant());
  ASSERT_TRUE(request.has_value()) << request.error().describe();
  EXPECT_TRUE(request->authorization.empty());
  const auto form = testing::parse_form(request->body.reveal());
  EXPECT_EQ(testing::form_value(form, "grant_type"), "client_credentials");
  EXPECT_EQ(testing::form_value(form, "client_id"), "00000000-aaaa");
  EXPECT_EQ(testing::form_value(form, "client_assertion_type"),
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  EXPECT_EQ(testing::form_value(form, "client_secret"), "\x01missing");

  const auto jwt = testing::split_jwt(testing::form_value(form, "client_assertion"));
  ASSERT_TRUE(jwt.header.is_object());
  ASSERT_TRUE(jwt.payload.is_object());
  EXPECT_TRUE(testing::verify_with_certificate(jwt, cert())) << "signature does not verify";
  EXPECT_EQ(jwt.header["alg"], "RS256");
  EXPECT_EQ(jwt.header["typ"], "JWT");
  EXPECT_EQ(jwt.header["x5t#S256"], testing::openssl_thumbprint_sha256(cert()));
  EXPECT_TRUE(jwt.header["x5t"].is_string());
  EXPECT_EQ(jwt.payload["aud"], kTokenUrl);
  EXPECT_EQ(jwt.payload["iss"], "00000000-aaaa");
  EXPECT_EQ(jwt.payload["sub"], "00000000-aaaa");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(before.time_since_epoch());
  EXPECT_NEAR(jwt.payload["iat"].get<double>(), static_cast<double>(now.count()), 5.0);
  EXPECT_EQ(jwt.payload["nbf"], jwt.payload["iat"]);
  EXPECT_EQ(jwt.payload["exp"].get<std::int64_t>() - jwt.payload["iat"].get<std::int64_t>(), 600);
  EXPECT_EQ(jwt.payload["jti"].get<std::string>().size(), 36u);
}

TEST_F(ClientAssertionTest, EveryRequestHasAFreshJti) {
  const auto identity = grant();
  auto first = client_credentials_request(identity);
  auto second = client_credentials_request(identity);
  ASSERT_TRUE(first && second);
  const auto jti = [](const HttpRequest& request) {
    return testing::split_jwt(
               testing::form_value(testing::parse_form(request.body.reveal()), "client_assertion"))
        .payload["jti"]
        .get<std::string>();
  };
  EXPECT_NE(jti(*first), jti(*second));
}

TEST_F(ClientAssertionTest, TamperedAssertionDoesNotVerify) {
  auto request = client_credentials_request(grant());
  ASSERT_TRUE(request.has_value());
  auto jwt = testing::split_jwt(
      testing::form_value(testing::parse_form(request->body.reveal()), "client_assertion"));
  jwt.signing_input.back() ^= 1;
  EXPECT_FALSE(testing::verify_with_certificate(jwt, cert()));
}

TEST_F(ClientAssertionTest, KeyAndCertificateInOneFile) {
  const auto combined = directory_.path() / "combined.pem";
  std::ofstream(combined) << testing::read_file(key()) << testing::read_file(cert());
  auto credentials = AssertionCredentials::load(combined, combined);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().describe();
  EXPECT_EQ(credentials->thumbprint_sha256(), testing::openssl_thumbprint_sha256(cert()));
}

// The certificate was made with `openssl req -days 2` a moment ago.
TEST_F(ClientAssertionTest, NotAfterIsTheCertificatesExpiry) {
  auto credentials = AssertionCredentials::load(cert(), key());
  ASSERT_TRUE(credentials.has_value()) << credentials.error().describe();
  ASSERT_TRUE(credentials->not_after().has_value());
  const auto expected = std::chrono::system_clock::now() + std::chrono::hours(48);
  EXPECT_LT(*credentials->not_after(), expected + std::chrono::minutes(5));
  EXPECT_GT(*credentials->not_after(), expected - std::chrono::minutes(5));
}

TEST_F(ClientAssertionTest, EcKeySignsEs256) {
  ASSERT_TRUE(testing::make_key_and_certificate(directory_.path(), "ec", "ec-"));
  auto credentials = AssertionCredentials::load(directory_.path() / "ec-cert.pem",
                                                directory_.path() / "ec-key.pem");
  ASSERT_TRUE(credentials.has_value()) << credentials.error().describe();
  auto assertion =
      make_client_assertion(*credentials, "id", kTokenUrl, std::chrono::system_clock::now());
  ASSERT_TRUE(assertion.has_value());
  const auto jwt = testing::split_jwt(assertion->reveal());
  EXPECT_EQ(jwt.header["alg"], "ES256");
  EXPECT_EQ(jwt.signature.size(), 64u);
  EXPECT_TRUE(testing::verify_with_certificate(jwt, directory_.path() / "ec-cert.pem"));
}

TEST_F(ClientAssertionTest, EncryptedKeyIsRefusedWithTheCommandThatDecryptsIt) {
  const auto encrypted = directory_.path() / "encrypted.pem";
  bool ok = false;
  testing::run_command("openssl pkey -in '" + key().string() + "' -aes256 -passout pass:pw -out '" +
                           encrypted.string() + "'",
                       &ok);
  ASSERT_TRUE(ok);
  auto credentials = AssertionCredentials::load(cert(), encrypted);
  ASSERT_FALSE(credentials.has_value());
  EXPECT_EQ(credentials.error().code(), "jwt.encrypted_key");
  EXPECT_EQ(credentials.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(credentials.error().remedy().find("openssl pkey -in " + encrypted.string() + " -out"),
            std::string::npos)
      << credentials.error().remedy();
}

TEST_F(ClientAssertionTest, KeyOfAnotherCertificateIsRefused) {
  ASSERT_TRUE(testing::make_key_and_certificate(directory_.path(), "rsa", "other-"));
  auto credentials = AssertionCredentials::load(cert(), directory_.path() / "other-key.pem");
  ASSERT_FALSE(credentials.has_value());
  EXPECT_EQ(credentials.error().code(), "assertion.key_mismatch");
  EXPECT_FALSE(credentials.error().remedy().empty());
}

TEST_F(ClientAssertionTest, MissingFilesAndMissingBlocksAreConfigErrors) {
  auto missing = AssertionCredentials::load(directory_.path() / "nope.pem", key());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), "jwt.unreadable_file");
  auto no_certificate = AssertionCredentials::load(key(), key());
  ASSERT_FALSE(no_certificate.has_value());
  EXPECT_EQ(no_certificate.error().code(), "assertion.no_certificate");
  auto no_key = AssertionCredentials::load(cert(), cert());
  ASSERT_FALSE(no_key.has_value());
  EXPECT_EQ(no_key.error().code(), "jwt.no_private_key");
  EXPECT_EQ(no_key.error().error_class(), core::ErrorClass::Config);
}

TEST_F(ClientAssertionTest, PrivateKeyJwtWithoutCredentialsFails) {
  ClientCredentialsGrant incomplete = grant();
  incomplete.assertion = nullptr;
  HttpClient http;
  RealSleeper sleeper;
  auto token = request_client_credentials(http, incomplete, {}, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.incomplete_grant");
  EXPECT_FALSE(client_credentials_request(incomplete).has_value());
}

TEST_F(ClientAssertionTest, CacheKeyFollowsTheCertificateNotTheSecret) {
  const ClientCredentialsGrant with_certificate = grant();
  ClientCredentialsGrant other_certificate = grant();
  ASSERT_TRUE(testing::make_key_and_certificate(directory_.path(), "rsa", "other-"));
  auto other = AssertionCredentials::load(directory_.path() / "other-cert.pem",
                                          directory_.path() / "other-key.pem");
  ASSERT_TRUE(other.has_value());
  other_certificate.assertion = std::make_shared<const AssertionCredentials>(std::move(*other));
  ClientCredentialsGrant with_secret = grant();
  with_secret.authentication = ClientAuthentication::SecretPost;
  with_secret.assertion = nullptr;
  EXPECT_NE(client_credentials_cache_key(with_certificate),
            client_credentials_cache_key(other_certificate));
  EXPECT_NE(client_credentials_cache_key(with_certificate),
            client_credentials_cache_key(with_secret));
  EXPECT_EQ(client_credentials_cache_key(with_certificate), client_credentials_cache_key(grant()));
}

}  // namespace
}  // namespace mailoauth::oauth2
