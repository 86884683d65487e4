// XOAUTH2 against Google's published example byte for byte, the server-side
// parser's acceptance and refusals, and the refusal of framing characters.
#include "mailoauth/sasl/xoauth2.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::sasl {
namespace {

using core::Secret;
namespace base64 = core::base64;

// Google, "XOAUTH2 protocol": the SASL XOAUTH2 initial client response.
constexpr std::string_view kGoogleExampleBase64 =
    "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJo"
    "ZG1semRHRXVZMjl0Q2cBAQ==";

TEST(XOAuth2Test, GoogleExampleByteForByte) {
  auto response = xoauth2_initial_response("someuser@example.com",
                                           Secret("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"));
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->reveal(),
            "user=someuser@example.com\x01"
            "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01");
  EXPECT_EQ(base64::encode(response->reveal()), kGoogleExampleBase64);
}

TEST(XOAuth2Test, ParsesGoogleExample) {
  auto raw = base64::decode(kGoogleExampleBase64);
  ASSERT_TRUE(raw.has_value());
  auto credentials = parse_xoauth2_response(*raw);
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message();
  EXPECT_EQ(credentials->user, "someuser@example.com");
  EXPECT_EQ(credentials->token.reveal(), "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
}

TEST(XOAuth2Test, RefusesFramingCharactersBeforeSending) {
  for (std::string_view bad :
       {std::string_view("a\x01"
                         "b"),
        std::string_view("a\rb"), std::string_view("a\nb"), std::string_view("a\0b", 3)}) {
    auto by_user = xoauth2_initial_response(bad, Secret("token"));
    ASSERT_FALSE(by_user.has_value());
    EXPECT_EQ(by_user.error().code(), "sasl.bad_field");
    EXPECT_NE(by_user.error().message().find("user name"), std::string::npos);
    auto by_token = xoauth2_initial_response("user@example.com", Secret(bad));
    ASSERT_FALSE(by_token.has_value());
    EXPECT_NE(by_token.error().message().find("access token"), std::string::npos);
  }
}

TEST(XOAuth2Test, TrailingNewlineInTokenGetsAPreciseRemedy) {
  auto response = xoauth2_initial_response("u@example.com", Secret("eyJ0eXAi.abc.def\n"));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(response.error().message(),
            "the access token contains a line feed (LF) at position 16, which SASL cannot carry");
  EXPECT_NE(response.error().remedy().find("trailing newline"), std::string::npos);
  // The message never quotes the token.
  EXPECT_EQ(response.error().describe().find("eyJ0eXAi"), std::string::npos);
}

TEST(XOAuth2Test, RefusesEmptyUserOrToken) {
  EXPECT_EQ(xoauth2_initial_response("", Secret("t")).error().code(), "sasl.empty_user");
  EXPECT_EQ(xoauth2_initial_response("u", Secret("")).error().code(), "sasl.empty_token");
}

TEST(XOAuth2Test, ParserAcceptsAnyFieldOrderAndIgnoresUnknownFields) {
  auto credentials = parse_xoauth2_response("auth=bearer tok\x01host=x\x01user=a@b\x01\x01");
  ASSERT_TRUE(credentials.has_value()) << credentials.error().message();
  EXPECT_EQ(credentials->user, "a@b");
  EXPECT_EQ(credentials->token.reveal(), "tok");
}

void expect_refused(std::string_view response, std::string_view detail) {
  auto credentials = parse_xoauth2_response(response);
  ASSERT_FALSE(credentials.has_value()) << "accepted: " << response;
  EXPECT_EQ(credentials.error().code(), "sasl.bad_xoauth2");
  EXPECT_NE(credentials.error().message().find(detail), std::string::npos)
      << credentials.error().message();
}

TEST(XOAuth2Test, ParserRefusals) {
  expect_refused("", "does not end with 0x01 0x01");
  expect_refused(
      "user=a\x01"
      "auth=Bearer t\x01",
      "does not end with 0x01 0x01");
  expect_refused(
      "user=a\x01"
      "auth=Bearer t\x01\x01x",
      "bytes after");
  expect_refused("auth=Bearer t\x01\x01", "no user");
  expect_refused(
      "user=\x01"
      "auth=Bearer t\x01\x01",
      "no user");
  expect_refused("user=a\x01\x01", "no auth");
  expect_refused(
      "user=a\x01user=b\x01"
      "auth=Bearer t\x01\x01",
      "\"user\" appears twice");
  expect_refused(
      "user=a\x01"
      "auth=Basic dTpw\x01\x01",
      "not \"Bearer <token>\"");
  expect_refused(
      "user=a\x01"
      "auth=Bearer \x01\x01",
      "empty");
  expect_refused(
      "user=a\x01"
      "auth=Bearer t t\x01\x01",
      "characters a token cannot have");
  expect_refused("user=a\x01noequals\x01\x01", "without '='");
  expect_refused(std::string("user=a") + '\0' +
                     "b\x01"
                     "auth=Bearer t\x01\x01",
                 "control");
}

TEST(XOAuth2Test, ParserHonoursSizeLimit) {
  const std::string big =
      "user=a\x01"
      "auth=Bearer " +
      std::string(100, 'x') + "\x01\x01";
  EXPECT_TRUE(parse_xoauth2_response(big, big.size()).has_value());
  auto refused = parse_xoauth2_response(big, big.size() - 1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message().find("more than"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::sasl
