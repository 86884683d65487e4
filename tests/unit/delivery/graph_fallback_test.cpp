// The Graph fallback: Exchange Online's "SMTP AUTH is off" replies, as they
// come off the wire and through the SMTP reply catalogue, lead to Graph;
// a network failure, a refused recipient or a throttled sender do not. The
// constants are checked against the catalogue, so renaming an entry there
// fails here instead of silently ending the fallback.
#include "mailoauth/delivery/graph_fallback.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::delivery {
namespace {

core::Error explain(std::string_view wire) {
  smtp::ReplyParser parser;
  auto reply = parser.feed(wire);
  EXPECT_TRUE(reply && *reply) << wire;
  return smtp::explain_reply(**reply, "AUTH XOAUTH2");
}

TEST(GraphFallback, ExchangeRefusingSmtpAuthLeadsToGraph) {
  EXPECT_TRUE(graph_may_help(explain(
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
      "for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.\r\n")));
  EXPECT_TRUE(graph_may_help(
      explain("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled "
              "for the Mailbox. Visit https://aka.ms/smtp_auth_disabled\r\n")));
  EXPECT_TRUE(graph_may_help(
      explain("535 5.7.139 Authentication unsuccessful, the request did not meet the criteria "
              "to be authenticated successfully.\r\n")));
  EXPECT_TRUE(graph_may_help(explain("535 5.7.3 Authentication unsuccessful\r\n")));
  EXPECT_TRUE(graph_may_help(
      explain("535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
              "security defaults policy. Contact your administrator.\r\n")));
}

TEST(GraphFallback, OtherFailuresDoNot) {
  EXPECT_FALSE(graph_may_help(explain("432 4.3.2 Concurrent connections limit exceeded\r\n")));
  EXPECT_FALSE(graph_may_help(explain("550 5.1.1 User unknown\r\n")));
  EXPECT_FALSE(graph_may_help(
      explain("535 5.7.139 Authentication unsuccessful, basic authentication is disabled.\r\n")));
  EXPECT_FALSE(graph_may_help(core::Error(core::ErrorClass::Temporary, "net.connect", "refused")));
}

TEST(GraphFallback, EveryCatalogueCodeExists) {
  const auto catalogue = smtp::reply_catalogue();
  for (std::string_view code : kGraphFallbackCodes) {
    if (code == kSmtpAuthNotOffered || code == kSmtpAuthMechanismUnavailable) continue;  // client
    const bool found = std::any_of(catalogue.begin(), catalogue.end(), [&](const auto& entry) {
      return "smtp." + std::string(entry.name) == code;
    });
    EXPECT_TRUE(found) << code;
  }
}

}  // namespace
}  // namespace mailoauth::delivery
