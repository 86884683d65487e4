// The health of one account's tokens and client secrets, as rules in one
// place: what `mailoauth token status` prints, and what the relay, the
// `check_oauth_token` plugin and the doctor will judge by. Pure: the stored
// tokens, the client secrets' expiry dates and "now" in, facts and warnings
// out (no store, no clock, no printing), so every rule has a unit test:
// an expired access token, Microsoft's 90-day refresh-token inactivity limit,
// a delegated account without a refresh token, a recorded renewal error, a
// client secret expired (AADSTS7000222) or expiring within 30 days.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::oauth2 {

// How long before a client secret's expiry it is worth a warning.
inline constexpr auto kClientSecretWarning = std::chrono::hours(24 * 30);
// Microsoft drops a refresh token unused for 90 days; warn 10 days before.
inline constexpr auto kMicrosoftRefreshTokenLifetime = std::chrono::hours(24 * 90);
inline constexpr auto kRefreshTokenLifetimeWarning = std::chrono::hours(24 * 10);
inline constexpr auto kRefreshTokenInactivityWarning =
    kMicrosoftRefreshTokenLifetime - kRefreshTokenLifetimeWarning;

// A client secret as status sees it: where it is and when it expires, never its value.
struct ClientSecretExpiry {
  std::string slot;    // "current" or "previous"
  std::string origin;  // "file /etc/...", "store", ...
  std::optional<core::Clock::WallTime> expires_at;
};

struct TokenHealth {
  enum class State { NoToken, Valid, Expired, Empty };
  State state = State::NoToken;
  std::vector<std::string> facts;     // one line each, for people
  std::vector<std::string> warnings;  // what needs doing, one line each
  // The numbers behind the sentences (absent when unknown).
  std::optional<std::chrono::seconds> access_left;       // negative once expired
  std::optional<std::chrono::seconds> refresh_age;       // since the refresh token was issued
  std::optional<std::chrono::seconds> refresh_lifetime;  // the inactivity limit that applies
  bool refresh_expired = false;                          // refresh_age reached refresh_lifetime
};

// The provider's refresh-token inactivity lifetime: 90 days at Microsoft,
// none known elsewhere (Google's depends on the app's publishing status).
std::optional<std::chrono::seconds> refresh_token_lifetime(const Account& account);

// "no token", "valid", "expired", "none" (a row without an access token).
std::string_view to_string(TokenHealth::State state);

// `tokens` is null when the store has none for the account. `refresh_lifetime`
// replaces the provider's (refresh_token_lifetime) when given.
TokenHealth assess_token_health(const Account& account, const StoredTokens* tokens,
                                const std::vector<ClientSecretExpiry>& secrets,
                                core::Clock::WallTime now,
                                std::optional<std::chrono::seconds> refresh_lifetime = {});

// "in 52 min", "3 days ago", "just now".
std::string relative_time(core::Clock::WallTime when, core::Clock::WallTime now);

}  // namespace mailoauth::oauth2
