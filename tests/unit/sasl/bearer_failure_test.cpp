// The failure challenges of XOAUTH2 (Google's documented example) and
// OAUTHBEARER (RFC 7628 section 4.3), parsed and built byte for byte.
#include "mailoauth/sasl/bearer_failure.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::sasl {
namespace {

namespace base64 = core::base64;

// Google, "XOAUTH2 protocol", error response (note the trailing newline in it).
constexpr std::string_view kGoogleFailureBase64 =
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5j"
    "b20vIn0K";
// RFC 7628 section 4.3.
constexpr std::string_view kRfcFailureBase64 =
    "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRp"
    "b24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=";

TEST(BearerFailureTest, ParsesGoogleXOAuth2Failure) {
  auto json = base64::decode(kGoogleFailureBase64);
  ASSERT_TRUE(json.has_value());
  auto failure = parse_bearer_failure(*json);
  ASSERT_TRUE(failure.has_value()) << failure.error().message();
  EXPECT_EQ(failure->status, "401");
  EXPECT_EQ(failure->schemes, "bearer mac");
  EXPECT_EQ(failure->scope, "https://mail.google.com/");
  EXPECT_EQ(describe(*failure), "status 401, scope https://mail.google.com/, schemes bearer mac");
}

TEST(BearerFailureTest, ParsesRfc7628Failure) {
  auto json = base64::decode(kRfcFailureBase64);
  ASSERT_TRUE(json.has_value());
  auto failure = parse_bearer_failure(*json);
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->status, "invalid_token");
  EXPECT_EQ(failure->scope, "example_scope");
  EXPECT_EQ(failure->openid_configuration, "https://example.com/.well-known/openid-configuration");
}

TEST(BearerFailureTest, BuildsRfc7628FailureByteForByte) {
  BearerFailure failure{"invalid_token", "", "example_scope",
                        "https://example.com/.well-known/openid-configuration"};
  EXPECT_EQ(base64::encode(oauthbearer_failure_challenge(failure)), kRfcFailureBase64);
}

TEST(BearerFailureTest, BuildsXOAuth2Failure) {
  BearerFailure failure{"401", "bearer", "https://mail.google.com/", ""};
  EXPECT_EQ(xoauth2_failure_challenge(failure),
            R"({"status":"401","schemes":"bearer","scope":"https://mail.google.com/"})");
}

TEST(BearerFailureTest, NumericStatusIsAccepted) {
  auto failure = parse_bearer_failure(R"({"status":401})");
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->status, "401");
}

TEST(BearerFailureTest, RefusesWhatIsNotAnObjectOfStrings) {
  for (std::string_view bad : {"", "null", "[]", "\"x\"", "{", R"({"status":{}})",
                               R"({"scope":["a"]})", "{\"status\":\"401\"} trailing"}) {
    auto failure = parse_bearer_failure(bad);
    ASSERT_FALSE(failure.has_value()) << bad;
    EXPECT_EQ(failure.error().code(), "sasl.bad_failure_challenge");
  }
  EXPECT_FALSE(parse_bearer_failure(std::string(70000, ' ')).has_value());
}

}  // namespace
}  // namespace mailoauth::sasl
