// Capability lists from Dovecot's greeting code and Exchange Online's
// CAPABILITY response, and lsimap's sorted order.
#include "mailoauth/imap/capabilities.hpp"

#include <gtest/gtest.h>

#include "mailoauth/imap/response_parser.hpp"

#include "parse_response.hpp"

namespace mailoauth::imap {
namespace {

using testing::parse;

TEST(CapabilitiesTest, DovecotGreeting) {
  auto capabilities = capabilities_from(
      parse("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
            "LOGINDISABLED AUTH=OAUTHBEARER AUTH=xoauth2] Dovecot (Debian) ready.\r\n"));
  ASSERT_TRUE(capabilities.has_value()) << capabilities.error().message();
  EXPECT_TRUE(capabilities->has("imap4rev1"));
  EXPECT_TRUE(capabilities->has("IMAP4rev1"));
  EXPECT_FALSE(capabilities->has("IMAP4"));
  EXPECT_TRUE(capabilities->login_disabled());
  EXPECT_TRUE(capabilities->sasl_ir());
  EXPECT_EQ(capabilities->auth_mechanisms(), (std::vector<std::string>{"OAUTHBEARER", "XOAUTH2"}));
  EXPECT_TRUE(capabilities->offers_mechanism("xoauth2"));
  EXPECT_FALSE(capabilities->offers_mechanism("PLAIN"));
}

TEST(CapabilitiesTest, ExchangeOnlineCapabilityResponse) {
  auto capabilities = capabilities_from(
      parse("* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT "
            "CHILDREN IDLE NAMESPACE LITERAL+\r\n"));
  ASSERT_TRUE(capabilities.has_value());
  EXPECT_FALSE(capabilities->login_disabled());
  EXPECT_EQ(capabilities->auth_mechanisms(), (std::vector<std::string>{"PLAIN", "XOAUTH2"}));
  EXPECT_EQ(capabilities->sorted(),
            (std::vector<std::string>{"AUTH=PLAIN", "AUTH=XOAUTH2", "CHILDREN", "ID", "IDLE",
                                      "IMAP4", "IMAP4rev1", "LITERAL+", "NAMESPACE", "SASL-IR",
                                      "UIDPLUS", "UNSELECT"}));
}

TEST(CapabilitiesTest, SortedRemovesDuplicates) {
  Capabilities capabilities{{"b", "A", "b", "AUTH=PLAIN"}};
  EXPECT_EQ(capabilities.sorted(), (std::vector<std::string>{"A", "AUTH=PLAIN", "b"}));
}

TEST(CapabilitiesTest, TaggedOkWithCapabilityCode) {
  auto capabilities = capabilities_from(parse("a1 OK [CAPABILITY IMAP4rev1 MOVE] Logged in\r\n"));
  ASSERT_TRUE(capabilities.has_value());
  EXPECT_EQ(capabilities->names, (std::vector<std::string>{"IMAP4rev1", "MOVE"}));
}

TEST(CapabilitiesTest, RefusesOtherResponses) {
  EXPECT_EQ(capabilities_from(parse("* OK ready\r\n")).error().code(), "imap.no_capabilities");
  EXPECT_EQ(capabilities_from(parse("* 3 EXISTS\r\n")).error().code(), "imap.no_capabilities");
  EXPECT_EQ(capabilities_from(parse("* CAPABILITY IMAP4rev1 (X)\r\n")).error().code(),
            "imap.bad_capabilities");
  EXPECT_EQ(capabilities_from(parse("* CAPABILITY IMAP4rev1 \"X\"\r\n")).error().code(),
            "imap.bad_capabilities");
}

}  // namespace
}  // namespace mailoauth::imap
