// The session's configuration-dependent decisions: the route at MAIL FROM
// (sender ownership of a relay user before the routes; no route is 550 5.7.1
// with a reason) and the Received: header's shape (RFC 5321 4.4: from, by,
// with ESMTP/ESMTPS/ESMTPA/ESMTPSA, id, for a single recipient, date).
#include "mailoauth/relay/session_policy.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

RelayConfig config_with_routes() {
  auto config = parse_relay_config(R"([listeners.lan]
[listeners.dmz]
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
[routes.lan_default]
listeners = ["lan"]
account = "shared"
)",
                                   "relay.toml");
  EXPECT_TRUE(config.has_value()) << config.error().describe();
  return *config;
}

TEST(SessionPolicyTest, RouteBySenderThenListener) {
  const RelayConfig config = config_with_routes();
  const auto matches = config.route_matches();
  const std::vector<RelayUser> users;
  EXPECT_EQ(lookup_route(config, matches, users, "dmz", "", "a@contoso.com").route, "contoso");
  EXPECT_EQ(lookup_route(config, matches, users, "lan", "", "a@fabrikam.com").route, "lan_default");
  const auto none = lookup_route(config, matches, users, "dmz", "", "a@fabrikam.com");
  ASSERT_TRUE(none.refusal.has_value());
  EXPECT_EQ(none.refusal->code, 550);
  EXPECT_EQ(none.refusal->status, "5.7.1");
  EXPECT_NE(none.refusal->lines.front().find("No route for sender <a@fabrikam.com>"),
            std::string::npos);
}

TEST(SessionPolicyTest, UserMaySendOnlyAsItsSenders) {
  const RelayConfig config = config_with_routes();
  const auto matches = config.route_matches();
  const std::vector<RelayUser> users{{"scanner", "$argon2id$x", {"contoso.com"}},
                                     {"erp", "$argon2id$y", {}}};
  EXPECT_EQ(lookup_route(config, matches, users, "dmz", "scanner", "s@contoso.com").route,
            "contoso");
  const auto other = lookup_route(config, matches, users, "lan", "scanner", "x@fabrikam.com");
  ASSERT_TRUE(other.refusal.has_value()) << "another tenant's sender, even with a listener route";
  EXPECT_EQ(other.refusal->code, 550);
  EXPECT_NE(other.refusal->lines.front().find("relay user scanner"), std::string::npos);
  EXPECT_EQ(lookup_route(config, matches, users, "lan", "erp", "x@fabrikam.com").route,
            "lan_default")
      << "a user with no senders listed may use any sender its routes allow";
  EXPECT_TRUE(lookup_route(config, matches, users, "lan", "ghost", "s@contoso.com").refusal)
      << "an unknown user (removed since login) owns nothing";
}

TEST(SessionPolicyTest, RefusalTextIsSafe) {
  const RelayConfig config = config_with_routes();
  const auto matches = config.route_matches();
  const auto answer = lookup_route(config, matches, {}, "dmz", "", "a\r\n250 ok@x.com");
  ASSERT_TRUE(answer.refusal.has_value());
  EXPECT_EQ(answer.refusal->render().find("\r\n250"), std::string::npos);
}

TEST(SessionPolicyTest, ReceivedHeader) {
  TraceFacts facts{.helo = "printer.lan",
                   .client_ip = "192.0.2.7",
                   .hostname = "relay.example.net",
                   .esmtp = true,
                   .tls = true,
                   .authenticated = true,
                   .queue_id = "18f3a2b4c5d6e7-3fa2c1",
                   .recipients = {"boss@example.com"},
                   .time = core::Clock::WallTime{std::chrono::seconds{1'700'000'000}}};
  EXPECT_EQ(received_header(facts),
            "Received: from printer.lan ([192.0.2.7])\r\n"
            "\tby relay.example.net (mailoauth) with ESMTPSA id 18f3a2b4c5d6e7-3fa2c1\r\n"
            "\tfor <boss@example.com>;\r\n"
            "\tTue, 14 Nov 2023 22:13:20 +0000\r\n");
  facts.recipients.push_back("second@example.com");
  facts.tls = false;
  facts.authenticated = false;
  facts.client_ip = "2001:db8::7";
  facts.helo = "evil\r\nBcc: x";
  const std::string header = received_header(facts);
  EXPECT_NE(header.find("with ESMTP id"), std::string::npos);
  EXPECT_NE(header.find("([IPv6:2001:db8::7])"), std::string::npos);
  EXPECT_EQ(header.find("for <"), std::string::npos) << "no recipient named when several";
  EXPECT_EQ(header.find("\nBcc"), std::string::npos) << "the HELO cannot add a header line";
  facts.esmtp = false;
  EXPECT_NE(received_header(facts).find("with SMTP id"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::relay
