// The session's configuration-dependent decisions: the route at MAIL FROM
// (sender ownership of a relay user before the routes; no route is 550 5.7.1
// with a reason) and the Received: header's shape (RFC 5321 4.4: from, by,
// with ESMTP/ESMTPS/ESMTPA/ESMTPSA, id, for a single recipient, date).
#include "mailoauth/relay/session_policy.hpp"

#include <fmt/format.h>
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

namespace mailoauth::relay {
namespace {

using Budget = AuthFailureBudget;
using std::chrono::seconds;

IpAddress ip(std::string_view text) {
  auto parsed = parse_ip_address(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

// Three failed checks, then the address is refused until the oldest failure
// is a window old; another address is not affected; a success costs nothing.
TEST(AuthFailureBudgetTest, RefusesAnAddressAtTheLimitUntilItsOldestFailureAgesOut) {
  Budget budget(3, seconds(600));
  const Budget::Clock::time_point t0{};
  const IpAddress printer = ip("192.0.2.7");
  for (int i = 0; i < 5; ++i) {  // successes never count
    ASSERT_TRUE(budget.begin(printer, t0));
    budget.finish(printer, false, t0);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(budget.begin(printer, t0 + seconds(i))) << "failure " << i;
    budget.finish(printer, true, t0 + seconds(i));
  }
  EXPECT_FALSE(budget.begin(printer, t0 + seconds(10))) << "the 4th guess";
  EXPECT_FALSE(budget.begin(printer, t0 + seconds(599)));
  EXPECT_TRUE(budget.begin(ip("192.0.2.8"), t0 + seconds(10))) << "another address";
  ASSERT_TRUE(budget.begin(printer, t0 + seconds(600))) << "the first failure aged out";
  budget.finish(printer, true, t0 + seconds(600));
  EXPECT_FALSE(budget.begin(printer, t0 + seconds(600)));
}

TEST(AuthFailureBudgetTest, ChecksInProgressCountSoParallelSessionsCannotRunPast) {
  Budget budget(2, seconds(600));
  const Budget::Clock::time_point t0{};
  const IpAddress client = ip("198.51.100.1");
  EXPECT_TRUE(budget.begin(client, t0));
  EXPECT_TRUE(budget.begin(client, t0));
  EXPECT_FALSE(budget.begin(client, t0)) << "two checks already running";
  budget.finish(client, false, t0);  // one succeeded
  EXPECT_TRUE(budget.begin(client, t0));
}

TEST(AuthFailureBudgetTest, CountsAnIpv6ClientPerSlash64) {
  Budget budget(1, seconds(600));
  const Budget::Clock::time_point t0{};
  ASSERT_TRUE(budget.begin(ip("2001:db8:1:2::10"), t0));
  budget.finish(ip("2001:db8:1:2::10"), true, t0);
  EXPECT_FALSE(budget.begin(ip("2001:db8:1:2:ffff::99"), t0)) << "same /64";
  EXPECT_TRUE(budget.begin(ip("2001:db8:1:3::10"), t0)) << "another /64";
}

TEST(AuthFailureBudgetTest, TracksABoundedNumberOfAddresses) {
  Budget budget(1, seconds(600), 100);
  const Budget::Clock::time_point t0{};
  for (int i = 0; i < 1000; ++i) {
    const IpAddress address = ip(fmt::format("10.0.{}.{}", i / 256, i % 256));
    ASSERT_TRUE(budget.begin(address, t0 + seconds(i % 10)));
    budget.finish(address, true, t0 + seconds(i % 10));
    ASSERT_LE(budget.tracked(), 100u);
  }
  // The most recent offender is still refused.
  EXPECT_FALSE(budget.begin(ip("10.0.3.231"), t0 + seconds(20)));
}

TEST(AuthFailureBudgetTest, ZeroMeansNoBudget) {
  Budget budget(0, seconds(600));
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(budget.begin(ip("192.0.2.7"), {}));
    budget.finish(ip("192.0.2.7"), true, {});
  }
  EXPECT_EQ(budget.tracked(), 0u);
}

TEST(AuthFailureBudgetTest, ConfigKeysAndDefaults) {
  auto defaults = parse_relay_config("[listeners.lan]\n", "relay.toml");
  ASSERT_TRUE(defaults) << defaults.error().describe();
  EXPECT_EQ(defaults->limits.auth_failures_per_client, 9u);
  EXPECT_EQ(defaults->limits.auth_failure_window, seconds(600));
  auto set = parse_relay_config(
      "auth_failures_per_client = 0\nauth_failure_window = 60\n[listeners.lan]\n", "relay.toml");
  ASSERT_TRUE(set) << set.error().describe();
  EXPECT_EQ(set->limits.auth_failures_per_client, 0u);
  EXPECT_EQ(set->limits.auth_failure_window, seconds(60));
  EXPECT_FALSE(parse_relay_config("auth_failures_per_client = -1\n[listeners.lan]\n", "x"));
}

}  // namespace
}  // namespace mailoauth::relay
