// The GMime-free address-list scanner for ready-made messages: the forms
// real From/To/Cc/Bcc headers take (display names, quoted names with commas,
// comments, groups, routes, empty elements) give their addresses in order;
// unterminated quotes, comments and angle addresses and control characters
// are refused.
#include "mailoauth/mime/address_list.hpp"

#include <gtest/gtest.h>

namespace mailoauth::mime {
namespace {

std::vector<std::string> addresses(std::string_view text) {
  auto parsed = address_list_addresses(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().describe());
  return parsed ? *parsed : std::vector<std::string>{};
}

using List = std::vector<std::string>;

TEST(AddressList, TheUsualForms) {
  EXPECT_EQ(addresses("a@example.com"), List{"a@example.com"});
  EXPECT_EQ(addresses("Cron Daemon <root@host.example>"), List{"root@host.example"});
  EXPECT_EQ(addresses(" a@x.example , B <b@y.example>,c@z.example "),
            (List{"a@x.example", "b@y.example", "c@z.example"}));
  EXPECT_EQ(addresses("=?UTF-8?Q?J=C3=B6rg?= <j@x.example>"), List{"j@x.example"});
}

TEST(AddressList, QuotedNamesWithCommasAndAngleBrackets) {
  EXPECT_EQ(addresses("\"Smith, Jane <boss>\" <jane@example.com>, bob@example.com"),
            (List{"jane@example.com", "bob@example.com"}));
  EXPECT_EQ(addresses("\"a \\\" b\" <q@x.example>"), List{"q@x.example"});
  EXPECT_EQ(addresses("\"first last\"@x.example"), List{"\"first last\"@x.example"});
}

TEST(AddressList, CommentsAreSkippedEvenNested) {
  EXPECT_EQ(addresses("bob@example.com (Bob (the builder), with a comma)"),
            List{"bob@example.com"});
  EXPECT_EQ(addresses("<(c)a@x.example>"), List{"a@x.example"});
}

TEST(AddressList, GroupsAreFlattenedAndMayBeEmpty) {
  EXPECT_EQ(addresses("Team: a@x.example, b@y.example;, c@z.example"),
            (List{"a@x.example", "b@y.example", "c@z.example"}));
  EXPECT_EQ(addresses("undisclosed-recipients:;"), List{});
  EXPECT_EQ(addresses(""), List{});
  EXPECT_EQ(addresses(" , ,a@x.example,,"), List{"a@x.example"});
}

TEST(AddressList, AnObsoleteRouteIsDropped) {
  EXPECT_EQ(addresses("<@relay.example,@other.example:a@b.example>"), List{"a@b.example"});
}

TEST(AddressList, BrokenListsAreRefused) {
  const std::string_view broken[] = {"\"unterminated <a@b.example>", "a@b.example (open",
                                     "Name <a@b.example", "a@b.example\r\nBcc: x@y.example",
                                     std::string_view("a@b\0c", 5)};
  for (std::string_view text : broken) {
    auto parsed = address_list_addresses(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), "mime.bad_address_list");
    EXPECT_EQ(parsed.error().error_class(), core::ErrorClass::Config);
  }
  EXPECT_FALSE(address_list_addresses(std::string(kMaxAddressListSize + 1, 'a')));
}

}  // namespace
}  // namespace mailoauth::mime
