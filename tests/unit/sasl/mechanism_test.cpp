// Mechanism names and the shared field check.
#include "mailoauth/sasl/mechanism.hpp"

#include <gtest/gtest.h>

namespace mailoauth::sasl {
namespace {

TEST(MechanismTest, WireNamesAreUpperCase) {
  EXPECT_EQ(wire_name(Mechanism::XOAuth2), "XOAUTH2");
  EXPECT_EQ(wire_name(Mechanism::OAuthBearer), "OAUTHBEARER");
  EXPECT_EQ(wire_name(Mechanism::Plain), "PLAIN");
  EXPECT_EQ(wire_name(Mechanism::Login), "LOGIN");
}

TEST(MechanismTest, ParsingIgnoresCase) {
  EXPECT_EQ(parse_mechanism("xoauth2"), Mechanism::XOAuth2);
  EXPECT_EQ(parse_mechanism("OAuthBearer"), Mechanism::OAuthBearer);
  EXPECT_EQ(parse_mechanism("plain"), Mechanism::Plain);
  EXPECT_FALSE(parse_mechanism("CRAM-MD5").has_value());
  EXPECT_FALSE(parse_mechanism("XOAUTH").has_value());
  EXPECT_FALSE(parse_mechanism("").has_value());
}

TEST(MechanismTest, CheckFieldNamesByteAndPosition) {
  EXPECT_TRUE(check_field("user name", "alice@example.com").has_value());
  auto bad = check_field("user name", std::string_view("al\0ice", 6));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(),
            "the user name contains a NUL byte at position 2, which SASL cannot carry");
  auto separator = check_field("access token", "a\x01");
  ASSERT_FALSE(separator.has_value());
  EXPECT_NE(separator.error().message().find("0x01 byte (the SASL field separator)"),
            std::string::npos);
  auto crlf = check_field("access token", "abc\r\n");
  ASSERT_FALSE(crlf.has_value());
  EXPECT_NE(crlf.error().remedy().find("trailing newline"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::sasl
