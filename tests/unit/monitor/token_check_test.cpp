// check_oauth_token's verdict with a fixed "now": a healthy account (OK,
// exact perfdata), a client secret within -w and within -c days, an expired
// one, a certificate's days left, a failed renewal (CRITICAL with the
// error's words and remedy), a stale refresh token, a pending renewal error,
// a secret without a configured expiry (noted, not alerted), and the days
// threshold syntax (a bare N is "fewer than N days").
#include "mailoauth/monitor/token_check.hpp"

#include <gtest/gtest.h>

namespace mailoauth::monitor {
namespace {

using namespace std::chrono_literals;
using core::NagiosState;

const core::Clock::WallTime kNow{std::chrono::milliseconds{1'800'000'000'000}};
constexpr auto kDay = std::chrono::hours(24);

TokenCheckThresholds thresholds(std::string_view warning = "30", std::string_view critical = "7") {
  TokenCheckThresholds result;
  result.warning = *parse_days_left_threshold(warning, "-w");
  result.critical = *parse_days_left_threshold(critical, "-c");
  return result;
}

TokenCheckFacts healthy_app(std::chrono::hours secret_left) {
  TokenCheckFacts facts;
  facts.account = "relay";
  facts.now = kNow;
  facts.health.state = oauth2::TokenHealth::State::Valid;
  facts.health.access_left = 3540s;
  facts.credentials.push_back(
      {CredentialExpiry::Kind::ClientSecret, "current", "file /etc/s", kNow + secret_left});
  return facts;
}

std::string first_line(const PluginOutput& output) {
  const std::string text = render_standard(output);
  return text.substr(0, text.find('\n'));
}

TEST(TokenCheckTest, BareNumberMeansFewerDaysLeft) {
  auto warning = parse_days_left_threshold("30", "-w");
  ASSERT_TRUE(warning.has_value());
  EXPECT_EQ(warning->text(), "30:");
  EXPECT_TRUE(warning->alerts(29));
  EXPECT_FALSE(warning->alerts(30));
  auto range = parse_days_left_threshold("@0:10", "-w");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->text(), "@0:10") << "a range is taken as written";
  auto bad = parse_days_left_threshold("thirty", "-w");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("-w"), std::string::npos);
}

TEST(TokenCheckTest, DaysLeftRoundDown) {
  EXPECT_EQ(days_left(kNow + kDay * 7 - 1s, kNow), 6);
  EXPECT_EQ(days_left(kNow + kDay * 7, kNow), 7);
  EXPECT_EQ(days_left(kNow - 1s, kNow), -1);
}

TEST(TokenCheckTest, HealthyAccountIsOkWithExactPerfdata) {
  auto output = token_check_output(healthy_app(kDay * 120 + 1h), thresholds());
  EXPECT_EQ(output.state, NagiosState::Ok);
  EXPECT_EQ(first_line(output),
            "OK: relay: token valid for 59 min, client secret expires in 120 days | "
            "'access_token_seconds_left'=3540s;;;0; 'secret_days_left'=120;30:;7:;;");
}

TEST(TokenCheckTest, SecretWithinWarningAndCriticalDays) {
  auto warning = token_check_output(healthy_app(kDay * 20 + 1h), thresholds());
  EXPECT_EQ(warning.state, NagiosState::Warning);
  EXPECT_TRUE(
      first_line(warning).starts_with("WARNING: relay: client secret expires in 20 days | "))
      << first_line(warning);
  auto critical = token_check_output(healthy_app(kDay * 5 + 1h), thresholds());
  EXPECT_EQ(critical.state, NagiosState::Critical);
  EXPECT_NE(first_line(critical).find("'secret_days_left'=5;30:;7:;;"), std::string::npos);
  auto expired = token_check_output(healthy_app(-kDay * 2), thresholds("1", "0"));
  EXPECT_EQ(expired.state, NagiosState::Critical) << "expired is CRITICAL whatever -c says";
  EXPECT_NE(first_line(expired).find("client secret expired 2 days ago"), std::string::npos);
}

TEST(TokenCheckTest, CertificateDaysLeft) {
  auto facts = healthy_app(kDay * 200);
  facts.credentials.insert(facts.credentials.begin(), {CredentialExpiry::Kind::Certificate, "",
                                                       "/etc/c.pem", kNow + kDay * 6 + 1h});
  auto output = token_check_output(facts, thresholds());
  EXPECT_EQ(output.state, NagiosState::Critical);
  EXPECT_NE(first_line(output).find("CRITICAL: relay: certificate expires in 6 days"),
            std::string::npos);
  EXPECT_NE(first_line(output).find("'certificate_days_left'=6;30:;7:;;"), std::string::npos);
  EXPECT_NE(output.long_output.find("certificate from /etc/c.pem expires in 6 days"),
            std::string::npos);
}

TEST(TokenCheckTest, FailedRenewalIsCriticalWithTheErrorAndRemedy) {
  auto facts = healthy_app(kDay * 200);
  facts.health = {};
  facts.token_error = core::Error(core::ErrorClass::Permanent, "oauth2.invalid_client",
                                  "the token endpoint refused the client (invalid_client)",
                                  "check the client secret: use its Value, not its Secret ID");
  auto output = token_check_output(facts, thresholds());
  EXPECT_EQ(output.state, NagiosState::Critical);
  EXPECT_TRUE(first_line(output).starts_with(
      "CRITICAL: relay: token renewal failed: the token endpoint refused the client "
      "(invalid_client) | "))
      << first_line(output);
  EXPECT_NE(output.long_output.find("remedy: check the client secret"), std::string::npos);
}

TEST(TokenCheckTest, RefreshTokenAgeAgainstTheLifetime) {
  TokenCheckFacts facts;
  facts.account = "work";
  facts.now = kNow;
  facts.needs_refresh_token = true;
  facts.health.state = oauth2::TokenHealth::State::Valid;
  facts.health.access_left = 600s;
  facts.health.refresh_age = std::chrono::seconds(3 * 86400 + 5);
  facts.health.refresh_lifetime = std::chrono::seconds(90 * 86400);
  auto ok = token_check_output(facts, thresholds());
  EXPECT_EQ(ok.state, NagiosState::Ok);
  EXPECT_NE(first_line(ok).find("'refresh_token_age_days'=3;80;90;0;90"), std::string::npos);
  facts.health.refresh_age = std::chrono::seconds(85 * 86400);
  EXPECT_EQ(token_check_output(facts, thresholds()).state, NagiosState::Warning);
  facts.health.refresh_age = std::chrono::seconds(95 * 86400);
  facts.health.refresh_expired = true;
  auto critical = token_check_output(facts, thresholds());
  EXPECT_EQ(critical.state, NagiosState::Critical);
  EXPECT_NE(first_line(critical).find("past the 90-day inactivity limit"), std::string::npos);
  facts.health.refresh_age.reset();
  facts.health.refresh_expired = false;
  EXPECT_EQ(token_check_output(facts, thresholds()).state, NagiosState::Warning)
      << "a delegated account without a refresh token";
}

TEST(TokenCheckTest, PendingRenewalErrorWarnsUntilARenewalSucceeds) {
  auto facts = healthy_app(kDay * 200);
  facts.previous_error = "invalid_grant: AADSTS700082";
  auto pending = token_check_output(facts, thresholds());
  EXPECT_EQ(pending.state, NagiosState::Warning);
  EXPECT_NE(first_line(pending).find("the last renewal failed: invalid_grant"), std::string::npos);
  facts.renewed = true;
  EXPECT_EQ(token_check_output(facts, thresholds()).state, NagiosState::Ok);
}

TEST(TokenCheckTest, SecretWithoutExpiryIsNotedNotAlerted) {
  auto facts = healthy_app(kDay);
  facts.credentials[0].expires_at.reset();
  auto output = token_check_output(facts, thresholds());
  EXPECT_EQ(output.state, NagiosState::Ok);
  EXPECT_EQ(first_line(output).find("secret_days_left"), std::string::npos);
  EXPECT_NE(output.long_output.find("client_secret_expires"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::monitor
