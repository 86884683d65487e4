// The verdict of check_oauth_token: from what the plugin found (the token
// health of oauth2/token_health.hpp after its token step, the outcome of
// that step, the expiry of each client secret and of the certificate) and
// the -w/-c thresholds on days left, the Nagios state, the first line and
// the perfdata (access_token_seconds_left, refresh_token_age_days,
// secret_days_left, certificate_days_left). Pure: no store, no clock, no
// printing, so every state has a unit test; the plugin (apps/checks/) does
// the I/O. A secret's expiry comes from the configuration
// (`client_secret_expires`: Entra never tells the client), a certificate's
// from the certificate. Nothing here ever holds a token or a secret.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/monitor/nagios_range.hpp"
#include "mailoauth/monitor/plugin_output.hpp"
#include "mailoauth/oauth2/token_health.hpp"

namespace mailoauth::monitor {

// A threshold on days left. A bare number N means "fewer than N days left"
// (the range `N:`), as check_http -C and check_ssl_cert read theirs, so
// `-w 30 -c 7` says what an admin means; anything with `:`, `~` or `@` is a
// Nagios range on the days left, taken as written.
core::Result<Range> parse_days_left_threshold(std::string_view text, std::string_view what);

// Whole days from `now` to `when`, rounded down (negative once past).
long long days_left(core::Clock::WallTime when, core::Clock::WallTime now);

struct CredentialExpiry {
  enum class Kind { ClientSecret, Certificate };
  Kind kind = Kind::ClientSecret;
  std::string slot;    // secrets: "current" or "previous"
  std::string origin;  // "file /etc/...", "token store", the certificate's path
  std::optional<core::Clock::WallTime> expires_at;  // absent: not configured
};

struct TokenCheckFacts {
  std::string account;
  oauth2::TokenHealth health;              // after the token step (null tokens: NoToken)
  std::optional<core::Error> token_error;  // the token step failed (obtain, renew, credentials)
  bool renewed = false;                    // --renew: a renewal was made and succeeded
  std::string previous_error;              // the store's last_error before this check
  bool needs_refresh_token = false;        // a delegated account
  std::vector<CredentialExpiry> credentials;
  core::Clock::WallTime now;
};

struct TokenCheckThresholds {
  std::optional<Range> warning;  // on days left of the current secret and the certificate
  std::optional<Range> critical;
};

PluginOutput token_check_output(const TokenCheckFacts& facts,
                                const TokenCheckThresholds& thresholds);

}  // namespace mailoauth::monitor
