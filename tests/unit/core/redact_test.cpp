// Tests for wire-trace redaction: each place a credential sits on the wire is
// replaced by its size, the rest of the line stays readable, and hostile lines
// (unterminated quotes, odd spacing) neither crash nor leak.
#include "mailoauth/core/redact.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

TEST(RedactTest, SmtpAuthInitialResponse) {
  EXPECT_EQ(redact_wire_line("AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ=="),
            "AUTH XOAUTH2 <redacted 32 bytes>");
  EXPECT_EQ(redact_wire_line("auth plain AGFsaWNlAHNlY3JldA==\r\n"),
            "auth plain <redacted 20 bytes>\r\n");
}

TEST(RedactTest, SmtpAuthWithoutInitialResponseIsKept) {
  EXPECT_EQ(redact_wire_line("AUTH XOAUTH2"), "AUTH XOAUTH2");
  EXPECT_EQ(redact_wire_line("AUTH PLAIN ="), "AUTH PLAIN =");
}

TEST(RedactTest, ImapAuthenticateWithSaslIr) {
  EXPECT_EQ(redact_wire_line("a1 AUTHENTICATE OAUTHBEARER bixhPWFsaWNlLAFhdXRoPUJlYXJlciB4AQE="),
            "a1 AUTHENTICATE OAUTHBEARER <redacted 36 bytes>");
  EXPECT_EQ(redact_wire_line("a1 AUTHENTICATE XOAUTH2"), "a1 AUTHENTICATE XOAUTH2");
}

TEST(RedactTest, ImapLoginPassword) {
  EXPECT_EQ(redact_wire_line("a2 LOGIN alice hunter2"), "a2 LOGIN alice <redacted 7 bytes>");
  EXPECT_EQ(redact_wire_line("a2 login \"alice smith\" \"pass word\""),
            "a2 login \"alice smith\" <redacted 11 bytes>");
  EXPECT_EQ(redact_wire_line("a2 LOGIN \"a\\\"b\" pw"), "a2 LOGIN \"a\\\"b\" <redacted 2 bytes>");
}

TEST(RedactTest, Pop3Pass) {
  EXPECT_EQ(redact_wire_line("PASS s3cret"), "PASS <redacted 6 bytes>");
}

TEST(RedactTest, HttpAuthorizationHeader) {
  EXPECT_EQ(redact_wire_line("Authorization: Bearer eyJhbGciOi.xyz"),
            "Authorization: Bearer <redacted 14 bytes>");
  EXPECT_EQ(redact_wire_line("authorization: Basic YTpi"),
            "authorization: Basic <redacted 4 bytes>");
}

TEST(RedactTest, FormFields) {
  EXPECT_EQ(redact_wire_line("grant_type=refresh_token&refresh_token=0.AXYZ&client_id=abc"),
            "grant_type=refresh_token&refresh_token=<redacted 6 bytes>&client_id=abc");
  EXPECT_EQ(redact_wire_line("client_secret=s%3D1&code=abc&code_verifier=xyz12"),
            "client_secret=<redacted 5 bytes>&code=<redacted 3 bytes>&"
            "code_verifier=<redacted 5 bytes>");
  EXPECT_EQ(redact_wire_line("GET /callback?code=AUTHCODE&state=s1 HTTP/1.1"),
            "GET /callback?code=<redacted 8 bytes>&state=s1 HTTP/1.1");
}

TEST(RedactTest, FormFieldNeedsABoundary) {
  // error_code is not code, session_state is not a secret
  EXPECT_EQ(redact_wire_line("error_code=700082&session_state=x"),
            "error_code=700082&session_state=x");
}

TEST(RedactTest, JsonFields) {
  EXPECT_EQ(redact_wire_line(R"({"token_type":"Bearer","access_token":"eyJ0","expires_in":3599})"),
            R"({"token_type":"Bearer","access_token":"<redacted 4 bytes>","expires_in":3599})");
  EXPECT_EQ(redact_wire_line(R"({"refresh_token" : "a\"b"})"),
            R"({"refresh_token" : "<redacted 4 bytes>"})");
}

TEST(RedactTest, GraphErrorCodeStaysVisible) {
  const std::string line = R"({"error":{"code":"ErrorSendAsDenied","message":"x"}})";
  EXPECT_EQ(redact_wire_line(line), line);
}

TEST(RedactTest, WholeLineCredentials) {
  EXPECT_EQ(redact_wire_line("dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ==\r\n", WireContent::Credentials),
            "<redacted 32 bytes>\r\n");
}

TEST(RedactTest, HostileLinesDoNotCrashOrLeak) {
  EXPECT_EQ(redact_wire_line(R"({"access_token":"unterminated)"),
            R"({"access_token":"<redacted 12 bytes>)");
  EXPECT_EQ(redact_wire_line(R"({"access_token":"ends-with-backslash\)"),
            R"({"access_token":"<redacted 20 bytes>)");
  EXPECT_EQ(redact_wire_line("a LOGIN \"unterminated"), "a LOGIN \"unterminated");
  EXPECT_EQ(redact_wire_line(""), "");
  EXPECT_EQ(redact_wire_line("   "), "   ");
  EXPECT_EQ(redact_wire_line("access_token="), "access_token=<redacted 0 bytes>");
  EXPECT_EQ(redact_wire_line(R"("access_token")"), R"("access_token")");
}

}  // namespace
}  // namespace mailoauth::core
