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
inline constexpr auto kRefreshTokenInactivityWarning = std::chrono::hours(24 * 80);

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
};

// "no token", "valid", "expired", "none" (a row without an access token).
std::string_view to_string(TokenHealth::State state);

// `tokens` is null when the store has none for the account.
TokenHealth assess_token_health(const Account& account, const StoredTokens* tokens,
                                const std::vector<ClientSecretExpiry>& secrets,
                                core::Clock::WallTime now);

// "in 52 min", "3 days ago", "just now".
std::string relative_time(core::Clock::WallTime when, core::Clock::WallTime now);

}  // namespace mailoauth::oauth2
