// PLAIN (RFC 4616): layout, the RFC's example, and the parser's refusals.
#include "mailoauth/sasl/plain.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::sasl {
namespace {

using core::Secret;
using namespace std::string_literals;

TEST(PlainTest, BuildsAuthzidAuthcidPassword) {
  auto response = plain_initial_response("", "tim", Secret("tanstaaftanstaaf"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->reveal(), "\0tim\0tanstaaftanstaaf"s);
  // RFC 4616 section 4's example, base64 as an IMAP/SMTP client sends it.
  EXPECT_EQ(core::base64::encode(response->reveal()), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
}

TEST(PlainTest, WithAuthzid) {
  auto response = plain_initial_response("Ursel", "Kurt", Secret("xipj3plmq"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->reveal(), "Ursel\0Kurt\0xipj3plmq"s);
}

TEST(PlainTest, RefusesNulAndEmptyUser) {
  EXPECT_EQ(plain_initial_response("", "a\0b"s, Secret("p")).error().code(), "sasl.bad_field");
  EXPECT_EQ(plain_initial_response("", "u", Secret("p\0q"s)).error().code(), "sasl.bad_field");
  EXPECT_EQ(plain_initial_response("", "", Secret("p")).error().code(), "sasl.empty_user");
}

TEST(PlainTest, Parses) {
  auto parsed = parse_plain_response("Ursel\0Kurt\0xipj3plmq"s);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->authzid, "Ursel");
  EXPECT_EQ(parsed->authcid, "Kurt");
  EXPECT_EQ(parsed->password.reveal(), "xipj3plmq");
}

TEST(PlainTest, ParserRefusals) {
  for (const auto& [input, detail] : std::vector<std::pair<std::string, std::string>>{
           {"", "no NUL"},
           {"user"s, "no NUL"},
           {"\0user"s, "only one NUL"},
           {"\0user\0pass\0"s, "more than two"},
           {"\0\0pass"s, "user name is empty"},
           {"\0user\0"s, "password is empty"},
       }) {
    auto parsed = parse_plain_response(input);
    ASSERT_FALSE(parsed.has_value()) << "accepted a bad response";
    EXPECT_EQ(parsed.error().code(), "sasl.bad_plain");
    EXPECT_NE(parsed.error().message().find(detail), std::string::npos) << parsed.error().message();
  }
  EXPECT_FALSE(parse_plain_response("\0u\0p"s, 3).has_value());
}

}  // namespace
}  // namespace mailoauth::sasl
