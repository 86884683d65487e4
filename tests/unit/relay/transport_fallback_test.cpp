// transport = "auto": every entry of the SMTP reply catalogue, as a reply off
// the wire, switches to Graph or not exactly as the fallback rules say (the
// "SMTP AUTH is off" family does; 5.7.8 bad credentials, a password refused,
// throttling and the rest do not), and Exchange Online's exact texts do; the
// window runs on a ManualClock (SMTP again once graph_fallback_time is over,
// the return said once); and an account without a Graph credential is named
// before the fallback is ever needed.
#include "mailoauth/relay/transport_fallback.hpp"

#include <set>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::relay {
namespace {

using std::chrono::seconds;

core::Error refusal(std::string_view wire) {
  smtp::ReplyParser parser;
  auto reply = parser.feed(wire);
  EXPECT_TRUE(reply && *reply) << wire;
  if (!reply || !*reply) return core::Error(core::ErrorClass::Bug, "test.unparsed", "unparsed");
  return smtp::explain_reply(**reply, "AUTH XOAUTH2");
}

// A reply the entry matches first: its code (or one of its status's class),
// its enhanced status, its text fragment.
std::string wire_for(const smtp::ReplyCatalogueEntry& entry) {
  const int code = entry.code != 0                          ? entry.code
                   : entry.enhanced_status.starts_with('4') ? 451
                                                            : 535;
  std::string line = fmt::format("{}", code);
  if (!entry.enhanced_status.empty()) line += fmt::format(" {}", entry.enhanced_status);
  line += fmt::format(" refused {}\r\n", entry.text_fragment);
  return line;
}

TEST(TransportFallback, EveryCatalogueEntrySwitchesOrNot) {
  const std::set<std::string_view> switching = {"client_auth_disabled_tenant",
                                                "client_auth_disabled_mailbox", "security_defaults",
                                                "tenant_policy", "authentication_unsuccessful"};
  std::size_t switched = 0, tried = 0;
  for (const smtp::ReplyCatalogueEntry& entry : smtp::reply_catalogue()) {
    const std::string wire = wire_for(entry);
    smtp::ReplyParser parser;
    auto reply = parser.feed(wire);
    ASSERT_TRUE(reply && *reply) << wire;
    ASSERT_EQ(smtp::find_reply_entry(**reply), &entry) << wire;  // this entry, not another
    const bool expected = switching.contains(entry.name);
    EXPECT_EQ(switches_to_graph(smtp::explain_reply(**reply, "AUTH XOAUTH2")), expected)
        << entry.name << ": " << wire;
    ++tried;
    if (expected) ++switched;
  }
  EXPECT_EQ(tried, smtp::reply_catalogue().size());
  EXPECT_EQ(switched, switching.size());  // every switching name is still in the catalogue
}

TEST(TransportFallback, ExchangeOnlinesExactTextsSwitch) {
  for (std::string_view wire : {
           "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
           "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
           "[AM0PR01CA0001.eurprd01.prod.exchangelabs.com 2026-12-02T00:00:00.000Z "
           "08DC0000000000]\r\n",
           "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
           "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. "
           "[SN4PR0201CA0034.namprd02.prod.outlook.com]\r\n",
           "535 5.7.139 Authentication unsuccessful, user is locked by your organization's "
           "security defaults policy. Contact your administrator. [BN9PR03CA0123]\r\n",
           "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
           "authenticated successfully. Contact your administrator. [BN9PR03CA0123]\r\n",
           "535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]\r\n",
       }) {
    EXPECT_TRUE(switches_to_graph(refusal(wire))) << wire;
  }
}

TEST(TransportFallback, OtherRefusalsDoNotSwitch) {
  for (std::string_view wire : {
           "535 5.7.8 Authentication failed.\r\n",  // Dovecot, Gmail: a bad or expired token
           "535 5.7.8 Username and Password not accepted. Learn more at\r\n",
           "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.\r\n",
           "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent\r\n",
           "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client\r\n",
           "530 5.7.57 Client not authenticated to send mail.\r\n",
           "550 5.7.30 Basic authentication is not supported for Client Submission.\r\n",
           "454 4.7.0 Temporary authentication failure\r\n",
       }) {
    EXPECT_FALSE(switches_to_graph(refusal(wire))) << wire;
  }
  // Not a reply at all: the network, a token that could not be had.
  EXPECT_FALSE(
      switches_to_graph(core::Error(core::ErrorClass::Temporary, "net.connect", "refused")));
  EXPECT_FALSE(switches_to_graph(
      core::Error(core::ErrorClass::Config, "oauth2.invalid_client", "AADSTS7000215")));
}

TEST(TransportFallback, GraphForTheWindowThenSmtpAgain) {
  core::ManualClock clock;
  FallbackState state;
  bool over = true;
  EXPECT_EQ(transport_for_attempt(state, clock, seconds(3600), &over), ActiveTransport::Smtp);
  EXPECT_FALSE(over);

  EXPECT_TRUE(switch_to_graph(state, clock, "535 5.7.139 ..."));
  EXPECT_EQ(state.active, ActiveTransport::Graph);
  EXPECT_EQ(state.since_wall, clock.now());
  EXPECT_EQ(state.reason, "535 5.7.139 ...");

  clock.advance(seconds(3599));
  EXPECT_EQ(transport_for_attempt(state, clock, seconds(3600), &over), ActiveTransport::Graph);
  EXPECT_FALSE(over);

  clock.advance(seconds(1));
  EXPECT_EQ(transport_for_attempt(state, clock, seconds(3600), &over), ActiveTransport::Smtp);
  EXPECT_TRUE(over);  // the caller logs the return, once
  EXPECT_EQ(transport_for_attempt(state, clock, seconds(3600), &over), ActiveTransport::Smtp);
  EXPECT_FALSE(over);

  EXPECT_TRUE(smtp_worked(state));  // the probe ends: "SMTP works again", once
  EXPECT_FALSE(smtp_worked(state));
  EXPECT_TRUE(state.reason.empty());
}

TEST(TransportFallback, StillRefusedAfterTheWindowStartsANewWindow) {
  core::ManualClock clock;
  FallbackState state;
  bool over = false;
  ASSERT_TRUE(switch_to_graph(state, clock, "first"));
  clock.advance(seconds(60));
  ASSERT_EQ(transport_for_attempt(state, clock, seconds(60), &over), ActiveTransport::Smtp);
  const auto probed_at = clock.monotonic();
  EXPECT_TRUE(switch_to_graph(state, clock, "again"));
  EXPECT_EQ(state.since, probed_at);
  EXPECT_FALSE(state.probing);
  EXPECT_EQ(state.reason, "again");
  clock.advance(seconds(59));
  EXPECT_EQ(transport_for_attempt(state, clock, seconds(60), &over), ActiveTransport::Graph);
}

TEST(TransportFallback, ASecondRefusalKeepsTheFirstSwitch) {
  core::ManualClock clock;
  FallbackState state;
  ASSERT_TRUE(switch_to_graph(state, clock, "first"));
  const auto since = state.since;
  clock.advance(seconds(5));
  EXPECT_FALSE(switch_to_graph(state, clock, "second session's"));  // not logged again
  EXPECT_EQ(state.since, since);
  EXPECT_EQ(state.reason, "first");
  EXPECT_FALSE(smtp_worked(state));  // on Graph: an old SMTP session's success changes nothing
  EXPECT_EQ(state.active, ActiveTransport::Graph);
}

oauth2::Account account(oauth2::ProviderKind provider, std::vector<std::string> scopes) {
  oauth2::Account result;
  result.name = "tenant-a";
  result.provider = provider;
  result.scopes = std::move(scopes);
  if (provider == oauth2::ProviderKind::Microsoft) result.graph_url = "https://graph.microsoft.com";
  return result;
}

TEST(TransportFallback, GraphCredentials) {
  using oauth2::ProviderKind;
  const auto ok = [](const oauth2::Account& a) {
    return check_graph_credential(a, "r").has_value();
  };
  EXPECT_TRUE(ok(account(ProviderKind::Microsoft, {"https://graph.microsoft.com/.default"})));
  EXPECT_TRUE(ok(account(ProviderKind::Microsoft,
                         {"https://graph.microsoft.com/Mail.Send", "offline_access"})));
  EXPECT_TRUE(ok(account(ProviderKind::Microsoft, {"Mail.Send.Shared", "offline_access"})));
  EXPECT_TRUE(ok(account(ProviderKind::Microsoft, {"https://graph.microsoft.us/.default"})));
  EXPECT_TRUE(ok(account(ProviderKind::Generic, {"mail"})));  // cannot be told: taken at its word

  // Exchange's scopes: one token per resource, so no Graph without a graph_account.
  auto smtp_only = check_graph_credential(
      account(ProviderKind::Microsoft, {"https://outlook.office365.com/.default"}), "printers");
  ASSERT_FALSE(smtp_only.has_value());
  EXPECT_EQ(smtp_only.error().code(), "relay.auto_without_graph");
  EXPECT_EQ(smtp_only.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(smtp_only.error().message().find("route \"printers\""), std::string::npos);
  EXPECT_NE(smtp_only.error().remedy().find("graph_account"), std::string::npos);
  EXPECT_FALSE(ok(account(ProviderKind::Microsoft,
                          {"https://outlook.office.com/SMTP.Send", "offline_access"})));
  EXPECT_FALSE(ok(account(ProviderKind::Microsoft, {"https://graph.microsoft.com/User.Read"})));
  EXPECT_FALSE(ok(account(ProviderKind::Microsoft, {"offline_access", "openid"})));
  EXPECT_FALSE(ok(account(ProviderKind::Google, {"https://mail.google.com/"})));
}

}  // namespace
}  // namespace mailoauth::relay
