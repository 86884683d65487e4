// Token endpoint responses: success in the shapes Microsoft, Google and
// oidc-provider send; refusals turned into Errors with the OAuth error, the
// AADSTS number, the server's first line, the ids and a remedy; and the
// classification that decides whether a caller retries.
#include "mailoauth/oauth2/token_response.hpp"

#include <gtest/gtest.h>

#include "mailoauth/oauth2/error_catalogue.hpp"

namespace mailoauth::oauth2 {
namespace {

using core::ErrorClass;

TEST(TokenResponseTest, MicrosoftClientCredentialsSuccess) {
  auto response = parse_token_response(
      200,
      R"({"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1Qi.x.y"})");
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->access_token.reveal(), "eyJ0eXAiOiJKV1Qi.x.y");
  EXPECT_EQ(response->token_type, "Bearer");
  EXPECT_EQ(response->expires_in, std::chrono::seconds(3599));
  EXPECT_TRUE(response->refresh_token.empty());
}

TEST(TokenResponseTest, RefreshTokenScopeAndStringExpiry) {
  auto response = parse_token_response(
      200,
      R"({"access_token":"a","token_type":"bearer","expires_in":"3600","refresh_token":"r1","scope":"https://mail.google.com/","id_token":"i"})");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->refresh_token.reveal(), "r1");
  EXPECT_EQ(response->id_token.reveal(), "i");
  EXPECT_EQ(response->scope, "https://mail.google.com/");
  EXPECT_EQ(response->expires_in, std::chrono::seconds(3600));
}

TEST(TokenResponseTest, MissingAccessTokenOrWrongType) {
  EXPECT_EQ(parse_token_response(200, R"({"token_type":"Bearer"})").error().code(),
            "oauth2.no_access_token");
  auto mac = parse_token_response(200, R"({"access_token":"a","token_type":"mac"})");
  ASSERT_FALSE(mac.has_value());
  EXPECT_EQ(mac.error().code(), "oauth2.not_bearer");
  EXPECT_EQ(mac.error().error_class(), ErrorClass::Permanent);
}

constexpr std::string_view kEntraWrongSecret =
    R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0f1e\r\nCorrelation ID: 9a8b\r\nTimestamp: 2026-11-22 10:00:00Z","error_codes":[7000215],"timestamp":"2026-11-22 10:00:00Z","trace_id":"0f1e-trace","correlation_id":"9a8b-corr","error_uri":"https://login.microsoftonline.com/error?code=7000215"})";

TEST(TokenResponseTest, EntraWrongSecretIsExplained) {
  auto response = parse_token_response(401, kEntraWrongSecret);
  ASSERT_FALSE(response.has_value());
  const auto& error = response.error();
  EXPECT_EQ(error.code(), "oauth2.invalid_client");
  EXPECT_EQ(error.error_class(), ErrorClass::Permanent);
  EXPECT_EQ(error.message(),
            "the token endpoint refused the request (HTTP 401): invalid_client (AADSTS7000215): "
            "the client secret is wrong; the server says \"AADSTS7000215: Invalid client secret "
            "provided. Ensure the secret being sent in the request is the client secret value, "
            "not the client secret ID.\" [trace id 0f1e-trace, correlation id 9a8b-corr]");
  EXPECT_EQ(error.remedy(), "use the secret's Value (shown once when created), not its Secret ID");
}

TEST(TokenResponseTest, PlainOAuthErrorUsesTheOAuthCatalogue) {
  auto response = parse_token_response(
      400, R"({"error":"invalid_grant","error_description":"grant request is invalid"})");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), "oauth2.invalid_grant");
  EXPECT_NE(response.error().remedy().find("mailoauth token login"), std::string::npos);
}

TEST(TokenResponseTest, ErrorsForRetrying) {
  auto busy =
      parse_token_response(503, R"({"error":"temporarily_unavailable"})", std::chrono::seconds(30));
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().error_class(), ErrorClass::Temporary);
  EXPECT_EQ(busy.error().retry_after(), std::chrono::seconds(30));

  auto throttled = parse_token_response(429, R"({"error":"invalid_request"})");
  EXPECT_EQ(throttled.error().error_class(), ErrorClass::Temporary);

  auto gateway = parse_token_response(502, "<html>Bad Gateway</html>");
  EXPECT_EQ(gateway.error().error_class(), ErrorClass::Temporary);
  EXPECT_NE(gateway.error().message().find("HTTP 502"), std::string::npos);

  auto pending = parse_token_response(400, R"({"error":"authorization_pending"})");
  EXPECT_EQ(pending.error().error_class(), ErrorClass::Temporary);
  EXPECT_EQ(pending.error().code(), "oauth2.authorization_pending");
}

TEST(TokenResponseTest, WrongUrlIsAConfigError) {
  auto response = parse_token_response(404, "<html>Not Found</html>");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().error_class(), ErrorClass::Config);
  EXPECT_NE(response.error().remedy().find("token URL"), std::string::npos);
}

TEST(TokenResponseTest, NonJsonSuccessIsTemporaryAndSaysWhatItWas) {
  auto response = parse_token_response(
      200, "<html><head><title>Please log in\r\n to the Wi-Fi</title></head></html>\r\n");
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().error_class(), ErrorClass::Temporary);
  EXPECT_NE(response.error().message().find("titled \"Please log in to the Wi-Fi\""),
            std::string::npos)
      << response.error().message();
}

// A body that is not the expected JSON may still hold the token (a server
// bug, a proxy cutting the answer): never quote it, not even its start.
TEST(TokenResponseTest, ABodyThatMayHoldATokenIsNeverQuoted) {
  for (const std::string& body :
       {std::string("{\"access_token\":\"LEAKED-TOKEN-VALUE\",\"token_type\":"),
        std::string("access_token=LEAKED-TOKEN-VALUE&token_type=bearer")}) {
    for (long status : {200L, 500L, 403L}) {
      auto response = parse_token_response(status, body);
      ASSERT_FALSE(response.has_value());
      EXPECT_EQ(response.error().describe().find("LEAKED"), std::string::npos)
          << response.error().describe();
      EXPECT_NE(response.error().message().find(std::to_string(body.size()) + " bytes"),
                std::string::npos)
          << response.error().message();
    }
  }
}

// RFC 6750's b64token: a token with CR/LF (or a space, a quote) would break
// or inject into the SASL and HTTP lines it goes into; refused, never shown.
TEST(TokenResponseTest, ATokenOutsideRfc6750sCharacterSetIsRefusedUnshown) {
  for (const std::string& token :
       {std::string("abc\\r\\nA001 LOGOUT"), std::string("two words"), std::string("q\\\"uote"),
        std::string("=abc"), std::string("ab=c")}) {
    auto response =
        parse_token_response(200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\"}");
    ASSERT_FALSE(response.has_value()) << token;
    EXPECT_EQ(response.error().code(), "oauth2.bad_token_characters");
    EXPECT_EQ(response.error().error_class(), ErrorClass::Permanent);
    EXPECT_NE(response.error().message().find("identity server"), std::string::npos);
    EXPECT_EQ(response.error().describe().find("abc"), std::string::npos);
    EXPECT_EQ(response.error().describe().find("words"), std::string::npos);
  }
  for (const std::string& token :
       {std::string("eyJ0.eXAi-_~+/x=="), std::string("a"), std::string("ya29.a0AfH6SM")}) {
    auto response =
        parse_token_response(200, "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\"}");
    EXPECT_TRUE(response.has_value()) << token;
  }
}

TEST(TokenResponseTest, HostileBodiesDoNotCrashOrInjectLines) {
  EXPECT_FALSE(parse_token_response(200, "").has_value());
  EXPECT_FALSE(parse_token_response(200, "{").has_value());
  EXPECT_FALSE(parse_token_response(200, std::string(100000, '[')).has_value());
  auto injected = parse_token_response(400, "{\"error\":\"x\\r\\nFORGED\"}");
  ASSERT_FALSE(injected.has_value());
  EXPECT_EQ(injected.error().message().find('\n'), std::string::npos);
  auto unknown = parse_token_response(400, R"({"error":"brand_new_error"})");
  EXPECT_EQ(unknown.error().error_class(), ErrorClass::Permanent);
  EXPECT_EQ(unknown.error().remedy(), "");
}

TEST(ErrorCatalogueTest, EveryEntryHasMeaningAndRemedy) {
  for (const auto& entry : oauth_catalogue()) {
    EXPECT_FALSE(entry.meaning.empty()) << entry.key;
    EXPECT_FALSE(entry.remedy.empty()) << entry.key;
  }
  for (const auto& entry : aadsts_catalogue()) {
    EXPECT_TRUE(entry.key.starts_with("AADSTS")) << entry.key;
    EXPECT_FALSE(entry.meaning.empty()) << entry.key;
    EXPECT_FALSE(entry.remedy.empty()) << entry.key;
  }
}

TEST(ErrorCatalogueTest, KnowsTheCodesMailAdminsMeet) {
  for (std::int64_t code : {7000215, 7000222, 700016, 65001, 50076,  50079,  70011,   1002012,
                            700022,  50126,   90002,  53003, 530035, 700082, 50173,   70008,
                            70043,   7000112, 50011,  50020, 50057,  500011, 9002313, 7000218}) {
    const CatalogueEntry* entry = find_aadsts(code);
    ASSERT_NE(entry, nullptr) << code;
    EXPECT_EQ(entry->key, "AADSTS" + std::to_string(code));
  }
  EXPECT_EQ(find_aadsts(1), nullptr);
  EXPECT_EQ(find_oauth_error("invalid_client")->error_class, ErrorClass::Permanent);
  EXPECT_EQ(find_oauth_error("server_error")->error_class, ErrorClass::Temporary);
}

}  // namespace
}  // namespace mailoauth::oauth2
