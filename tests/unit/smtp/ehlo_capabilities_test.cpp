// EHLO capabilities from the lines Exchange Online, Gmail, Dovecot and Postfix
// send: keywords upper-cased, parameters kept, AUTH in both its forms, SIZE
// and its edge cases (no number, 0, garbage).
#include "mailoauth/smtp/ehlo_capabilities.hpp"

#include <gtest/gtest.h>

#include "mailoauth/smtp/reply_parser.hpp"

namespace mailoauth::smtp {
namespace {

EhloCapabilities from_wire(std::string_view bytes) {
  ReplyParser parser;
  auto reply = parser.feed(bytes);
  EXPECT_TRUE(reply.has_value() && reply->has_value());
  if (!reply || !*reply) return {};
  EXPECT_EQ((*reply)->code, 250);
  return parse_ehlo_capabilities((*reply)->lines);
}

TEST(EhloCapabilitiesTest, Gmail) {
  const EhloCapabilities gmail = from_wire(
      "250-smtp.gmail.com at your service, [203.0.113.5]\r\n"
      "250-SIZE 35882577\r\n"
      "250-8BITMIME\r\n"
      "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-PIPELINING\r\n"
      "250-CHUNKING\r\n"
      "250 SMTPUTF8\r\n");
  EXPECT_EQ(gmail.greeting, "smtp.gmail.com at your service, [203.0.113.5]");
  ASSERT_EQ(gmail.extensions.size(), 7u);
  EXPECT_EQ(gmail.size_limit(), 35882577u);
  EXPECT_EQ(gmail.auth_mechanisms(),
            (std::vector<std::string>{"LOGIN", "PLAIN", "XOAUTH2", "PLAIN-CLIENTTOKEN",
                                      "OAUTHBEARER", "XOAUTH"}));
  for (std::string_view keyword : {"8BITMIME", "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING",
                                   "SMTPUTF8", "smtputf8", "Pipelining"}) {
    EXPECT_TRUE(gmail.has(keyword)) << keyword;
  }
  EXPECT_FALSE(gmail.has("STARTTLS"));  // smtp.gmail.com:465 is TLS already
  EXPECT_FALSE(gmail.has("SIZE 35882577"));
  EXPECT_FALSE(gmail.has(""));
}

TEST(EhloCapabilitiesTest, Office365BeforeAndAfterStartTls) {
  const EhloCapabilities before = from_wire(
      "250-SN4PR0201CA0034.outlook.office365.com Hello [203.0.113.5]\r\n"
      "250-SIZE 157286400\r\n"
      "250-PIPELINING\r\n"
      "250-DSN\r\n"
      "250-ENHANCEDSTATUSCODES\r\n"
      "250-STARTTLS\r\n"
      "250-8BITMIME\r\n"
      "250-BINARYMIME\r\n"
      "250-CHUNKING\r\n"
      "250 SMTPUTF8\r\n");
  EXPECT_TRUE(before.has("STARTTLS"));
  EXPECT_FALSE(before.has("AUTH"));
  EXPECT_TRUE(before.auth_mechanisms().empty());
  EXPECT_EQ(before.size_limit(), 157286400u);

  const EhloCapabilities after = from_wire(
      "250-SN4PR0201CA0034.outlook.office365.com Hello [203.0.113.5]\r\n"
      "250-SIZE 157286400\r\n"
      "250-PIPELINING\r\n"
      "250-AUTH LOGIN XOAUTH2\r\n"
      "250 SMTPUTF8\r\n");
  EXPECT_FALSE(after.has("STARTTLS"));
  EXPECT_EQ(after.auth_mechanisms(), (std::vector<std::string>{"LOGIN", "XOAUTH2"}));
  ASSERT_EQ(after.parameters("auth").size(), 2u);
  EXPECT_EQ(after.parameters("AUTH")[1], "XOAUTH2");
  EXPECT_TRUE(after.parameters("DSN").empty());
}

TEST(EhloCapabilitiesTest, OldAuthEqualsFormAndLowerCase) {
  // Postfix with broken_sasl_auth_clients, and old Exchange, send both forms.
  const EhloCapabilities both = from_wire(
      "250-mail.example.com\r\n"
      "250-auth plain login\r\n"
      "250-AUTH=PLAIN LOGIN xoauth2\r\n"
      "250-size\r\n"
      "250  8bitmime \r\n");
  EXPECT_EQ(both.auth_mechanisms(), (std::vector<std::string>{"PLAIN", "LOGIN", "XOAUTH2"}));
  ASSERT_EQ(both.extensions.size(), 4u);
  EXPECT_EQ(both.extensions[0].keyword, "AUTH");
  EXPECT_EQ(both.extensions[0].parameters, (std::vector<std::string>{"plain", "login"}));
  EXPECT_EQ(both.extensions[1].keyword, "AUTH");
  EXPECT_EQ(both.extensions[1].parameters, (std::vector<std::string>{"PLAIN", "LOGIN", "xoauth2"}));
  EXPECT_TRUE(both.has("SIZE"));
  EXPECT_EQ(both.size_limit(), std::nullopt);  // SIZE without a number
  EXPECT_TRUE(both.has("8BITMIME"));

  const EhloCapabilities only_old = from_wire("250-x\r\n250 AUTH=LOGIN\r\n");
  EXPECT_TRUE(only_old.has("AUTH"));
  EXPECT_EQ(only_old.auth_mechanisms(), std::vector<std::string>{"LOGIN"});
}

TEST(EhloCapabilitiesTest, SizeEdgeCases) {
  const auto size_of = [](std::string_view line) {
    return from_wire("250-x\r\n250 " + std::string(line) + "\r\n").size_limit();
  };
  EXPECT_EQ(size_of("SIZE 0"), std::nullopt);  // RFC 1870: no fixed maximum
  EXPECT_EQ(size_of("SIZE 10240000"), 10240000u);
  EXPECT_EQ(size_of("SIZE -1"), std::nullopt);
  EXPECT_EQ(size_of("SIZE 12abc"), std::nullopt);
  EXPECT_EQ(size_of("SIZE 99999999999999999999999"), std::nullopt);
  EXPECT_EQ(size_of("PIPELINING"), std::nullopt);
}

TEST(EhloCapabilitiesTest, GreetingOnlyAndNothing) {
  const EhloCapabilities bare = from_wire("250 mail.example.com\r\n");
  EXPECT_EQ(bare.greeting, "mail.example.com");
  EXPECT_TRUE(bare.extensions.empty());
  EXPECT_TRUE(parse_ehlo_capabilities({}).greeting.empty());
  const EhloCapabilities blank = from_wire("250-x\r\n250-\r\n250    \r\n");
  EXPECT_TRUE(blank.extensions.empty());
}

}  // namespace
}  // namespace mailoauth::smtp
