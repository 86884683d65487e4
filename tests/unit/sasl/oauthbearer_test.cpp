// OAUTHBEARER against RFC 7628's examples byte for byte (sections 4.1 and 4.2),
// saslname escaping, and the parser's grammar checks.
#include "mailoauth/sasl/oauthbearer.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::sasl {
namespace {

using core::Secret;
namespace base64 = core::base64;

constexpr std::string_view kRfcToken = "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==";
// RFC 7628 section 4.1 (IMAP, port 143) and 4.2 (SMTP, port 587).
constexpr std::string_view kRfcImapBase64 =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZG"
    "OWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
constexpr std::string_view kRfcSmtpBase64 =
    "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9NTg3AWF1dGg9QmVhcmVyIHZG"
    "OWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";

TEST(OAuthBearerTest, Rfc7628ImapExampleByteForByte) {
  auto response = oauthbearer_initial_response("user@example.com", Secret(kRfcToken),
                                               {"server.example.com", 143});
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->reveal(),
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01"
            "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01");
  EXPECT_EQ(base64::encode(response->reveal()), kRfcImapBase64);
}

TEST(OAuthBearerTest, Rfc7628SmtpExampleByteForByte) {
  auto response = oauthbearer_initial_response("user@example.com", Secret(kRfcToken),
                                               {"server.example.com", 587});
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(base64::encode(response->reveal()), kRfcSmtpBase64);
}

TEST(OAuthBearerTest, HostAndPortAreOptional) {
  auto response = oauthbearer_initial_response("u@e.com", Secret("tok"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->reveal(),
            "n,a=u@e.com,\x01"
            "auth=Bearer tok\x01\x01");
  auto anonymous = oauthbearer_initial_response("", Secret("tok"));
  ASSERT_TRUE(anonymous.has_value());
  EXPECT_EQ(anonymous->reveal(),
            "n,,\x01"
            "auth=Bearer tok\x01\x01");
}

TEST(OAuthBearerTest, SaslnameEscapesCommaAndEquals) {
  EXPECT_EQ(encode_saslname("a,b=c"), "a=2Cb=3Dc");
  EXPECT_EQ(*decode_saslname("a=2Cb=3Dc"), "a,b=c");
  EXPECT_EQ(*decode_saslname("a=2cb=3dc"), "a,b=c");
  EXPECT_FALSE(decode_saslname("a=41").has_value());
  EXPECT_FALSE(decode_saslname("a=").has_value());
  EXPECT_FALSE(decode_saslname("a=2").has_value());
  auto response = oauthbearer_initial_response("odd,name=x", Secret("t"));
  ASSERT_TRUE(response.has_value());
  auto parsed = parse_oauthbearer_response(response->reveal());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->user, "odd,name=x");
}

TEST(OAuthBearerTest, ParsesRfcExample) {
  auto raw = base64::decode(kRfcImapBase64);
  ASSERT_TRUE(raw.has_value());
  auto parsed = parse_oauthbearer_response(*raw);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->user, "user@example.com");
  EXPECT_EQ(parsed->host, "server.example.com");
  ASSERT_TRUE(parsed->port.has_value());
  EXPECT_EQ(*parsed->port, 143);
  EXPECT_EQ(parsed->token.reveal(), kRfcToken);
}

TEST(OAuthBearerTest, RefusesFramingCharacters) {
  EXPECT_EQ(oauthbearer_initial_response("u\x01", Secret("t")).error().code(), "sasl.bad_field");
  EXPECT_EQ(oauthbearer_initial_response("u", Secret("t\r\n")).error().code(), "sasl.bad_field");
  EXPECT_EQ(oauthbearer_initial_response("u", Secret("t"), {"h\n", std::nullopt}).error().code(),
            "sasl.bad_field");
}

void expect_refused(std::string_view response, std::string_view detail) {
  auto parsed = parse_oauthbearer_response(response);
  ASSERT_FALSE(parsed.has_value()) << "accepted: " << response;
  EXPECT_EQ(parsed.error().code(), "sasl.bad_oauthbearer");
  EXPECT_NE(parsed.error().message().find(detail), std::string::npos) << parsed.error().message();
}

TEST(OAuthBearerTest, ParserRefusals) {
  expect_refused("", "GS2 header must start");
  expect_refused(
      "p=tls-unique,,\x01"
      "auth=Bearer t\x01\x01",
      "channel binding");
  expect_refused(
      "x,,\x01"
      "auth=Bearer t\x01\x01",
      "GS2 header must start");
  expect_refused("n,a=u", "not closed");
  expect_refused(
      "n,b=u,\x01"
      "auth=Bearer t\x01\x01",
      "\"a=...\"");
  expect_refused(
      "n,a=,\x01"
      "auth=Bearer t\x01\x01",
      "empty");
  expect_refused("n,a=u,auth=Bearer t\x01\x01", "followed by 0x01");
  expect_refused(
      "n,a=u,\x01"
      "auth=Bearer t\x01",
      "does not end");
  expect_refused(
      "n,a=u,\x01"
      "auth=Bearer t\x01\x01!",
      "bytes after");
  expect_refused("n,a=u,\x01host=h\x01\x01", "no auth");
  expect_refused(
      "n,a=u,\x01"
      "auth=Bearer t\x01"
      "auth=Bearer t\x01\x01",
      "twice");
  expect_refused(
      "n,a=u,\x01port=99999\x01"
      "auth=Bearer t\x01\x01",
      "port");
  expect_refused(
      "n,a=u,\x01port=12x\x01"
      "auth=Bearer t\x01\x01",
      "port");
  expect_refused(
      "n,a=u,\x01k3y=v\x01"
      "auth=Bearer t\x01\x01",
      "alphabetic");
  expect_refused(
      "n,a=u,\x01=v\x01"
      "auth=Bearer t\x01\x01",
      "malformed");
  expect_refused(std::string("n,a=u,\x01k=") + '\0' +
                     "\x01"
                     "auth=Bearer t\x01\x01",
                 "control");
  expect_refused(
      "n,a=u=41,\x01"
      "auth=Bearer t\x01\x01",
      "=2C or =3D");
}

TEST(OAuthBearerTest, UnknownKeysAreIgnored) {
  auto parsed = parse_oauthbearer_response(
      "y,,\x01mfa=x\x01"
      "auth=BEARER t\x01\x01");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->user, "");
  EXPECT_EQ(parsed->token.reveal(), "t");
}

}  // namespace
}  // namespace mailoauth::sasl
