// The token health rules, one test per rule, with a fixed "now": no token
// (login or first use), valid and expired access tokens, Microsoft's 90-day
// refresh-token inactivity limit, a delegated account without a refresh
// token, a recorded renewal error, and client secrets expired or expiring.
#include "mailoauth/oauth2/token_health.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;

const core::Clock::WallTime kNow{std::chrono::milliseconds{1'800'000'000'000}};

Account account(Flow flow, ProviderKind provider = ProviderKind::Microsoft) {
  Account result;
  result.name = "work";
  result.flow = flow;
  result.provider = provider;
  return result;
}

StoredTokens tokens(core::Clock::WallTime expires, std::string refresh = "r") {
  StoredTokens result;
  result.access_token = core::Secret("a");
  result.access_expires_at = expires;
  result.refresh_token = core::Secret(refresh);
  if (!refresh.empty()) result.refresh_obtained_at = kNow - 1h;
  return result;
}

bool mentions(const std::vector<std::string>& lines, std::string_view text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

TEST(TokenHealthTest, NoTokenSaysWhatToRun) {
  auto delegated = assess_token_health(account(Flow::Delegated), nullptr, {}, kNow);
  EXPECT_EQ(to_string(delegated.state), "no token");
  EXPECT_TRUE(mentions(delegated.facts, "mailoauth token login work"));
  auto app = assess_token_health(account(Flow::App), nullptr, {}, kNow);
  EXPECT_TRUE(mentions(app.facts, "fetched on first use"));
  EXPECT_TRUE(app.warnings.empty());
}

TEST(TokenHealthTest, ValidAndExpiredAccessTokens) {
  const auto valid = tokens(kNow + 52min);
  auto healthy = assess_token_health(account(Flow::Delegated), &valid, {}, kNow);
  EXPECT_EQ(healthy.state, TokenHealth::State::Valid);
  EXPECT_TRUE(mentions(healthy.facts, "access token expires in 52 min"));
  EXPECT_TRUE(healthy.warnings.empty());
  const auto old = tokens(kNow - 3h);
  auto expired = assess_token_health(account(Flow::Delegated), &old, {}, kNow);
  EXPECT_EQ(expired.state, TokenHealth::State::Expired);
  EXPECT_TRUE(mentions(expired.facts, "access token expired 3 h ago"));
}

TEST(TokenHealthTest, MicrosoftRefreshTokenNearTheInactivityLimit) {
  auto stale = tokens(kNow + 1h);
  stale.refresh_obtained_at = kNow - std::chrono::hours(24 * 81);
  auto microsoft = assess_token_health(account(Flow::Delegated), &stale, {}, kNow);
  EXPECT_TRUE(mentions(microsoft.warnings, "90-day inactivity limit"));
  auto google =
      assess_token_health(account(Flow::Delegated, ProviderKind::Google), &stale, {}, kNow);
  EXPECT_TRUE(google.warnings.empty()) << "the limit is Microsoft's";
}

TEST(TokenHealthTest, DelegatedWithoutRefreshTokenAndRecordedErrors) {
  auto lone = tokens(kNow + 1h, "");
  lone.last_error = "invalid_grant";
  auto health = assess_token_health(account(Flow::Delegated), &lone, {}, kNow);
  EXPECT_TRUE(mentions(health.warnings, "no refresh token"));
  EXPECT_TRUE(mentions(health.warnings, "last error: invalid_grant"));
  auto app = assess_token_health(account(Flow::App), &lone, {}, kNow);
  EXPECT_FALSE(mentions(app.warnings, "no refresh token")) << "app tokens have none by design";
}

TEST(TokenHealthTest, ClientSecretsExpiredOrExpiringSoon) {
  const std::vector<ClientSecretExpiry> secrets = {
      {"current", "store", kNow + std::chrono::hours(24 * 10)},
      {"previous", "file /etc/old", kNow - std::chrono::hours(24)}};
  auto health = assess_token_health(account(Flow::App), nullptr, secrets, kNow);
  EXPECT_TRUE(mentions(health.facts, "client secret (current) from store, expires in 10 days"));
  EXPECT_TRUE(mentions(health.warnings, "the client secret expires in 10 days"));
  EXPECT_TRUE(mentions(health.warnings, "previous client secret has EXPIRED (AADSTS7000222)"));
  const std::vector<ClientSecretExpiry> far = {
      {"current", "store", kNow + std::chrono::hours(24 * 200)}};
  EXPECT_TRUE(assess_token_health(account(Flow::App), nullptr, far, kNow).warnings.empty());
}

// The numbers check_oauth_token graphs: time left, refresh token age, the lifetime.
TEST(TokenHealthTest, NumbersBehindTheSentences) {
  const auto fresh = tokens(kNow + 59min);
  auto health = assess_token_health(account(Flow::Delegated), &fresh, {}, kNow);
  ASSERT_TRUE(health.access_left.has_value());
  EXPECT_EQ(health.access_left->count(), 59 * 60);
  ASSERT_TRUE(health.refresh_age.has_value());
  EXPECT_EQ(health.refresh_age->count(), 3600);
  ASSERT_TRUE(health.refresh_lifetime.has_value());
  EXPECT_EQ(health.refresh_lifetime->count(), 90 * 86400) << "Microsoft's inactivity limit";
  EXPECT_FALSE(health.refresh_expired);
  const auto old = tokens(kNow - 10min);
  auto expired = assess_token_health(account(Flow::Delegated), &old, {}, kNow);
  EXPECT_EQ(expired.access_left->count(), -600) << "negative once expired";
  auto google =
      assess_token_health(account(Flow::Delegated, ProviderKind::Google), &fresh, {}, kNow);
  EXPECT_FALSE(google.refresh_lifetime.has_value()) << "no lifetime known at Google";
}

// A lifetime given (check_oauth_token --refresh-lifetime) replaces the provider's.
TEST(TokenHealthTest, GivenRefreshLifetimeWarnsTenDaysAheadAndExpires) {
  auto stale = tokens(kNow + 1h);
  stale.refresh_obtained_at = kNow - std::chrono::hours(24 * 25);
  const auto lifetime = std::chrono::seconds(30 * 86400);
  auto near = assess_token_health(account(Flow::Delegated, ProviderKind::Generic), &stale, {}, kNow,
                                  lifetime);
  EXPECT_FALSE(near.refresh_expired);
  EXPECT_TRUE(mentions(near.warnings, "30-day inactivity limit"));
  stale.refresh_obtained_at = kNow - std::chrono::hours(24 * 31);
  auto past = assess_token_health(account(Flow::Delegated, ProviderKind::Generic), &stale, {}, kNow,
                                  lifetime);
  EXPECT_TRUE(past.refresh_expired);
  EXPECT_TRUE(mentions(past.warnings, "past the 30-day inactivity limit"));
}

}  // namespace
}  // namespace mailoauth::oauth2
