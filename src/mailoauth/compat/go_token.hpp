// The token file format of check-mail's fetch-token and read-token: Go's
// golang.org/x/oauth2.Token marshalled with json.MarshalIndent(token, "", "\t"):
//   {
//   	"access_token": "...",
//   	"token_type": "Bearer",
//   	"expiry": "2026-11-22T16:03:41.123456789+01:00",
//   	"expires_in": 3599
//   }
// (refresh_token and expires_in only when set; expiry always, in RFC 3339 with
// nanoseconds as Go prints them, in local time). Scripts and cron jobs parse
// these files, so the layout is kept to the byte. Validity follows Token.Valid():
// an access token, and an expiry that is zero or more than 10 s away.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::compat {

struct GoToken {
  core::Secret access_token;
  std::string token_type;
  core::Secret refresh_token;
  std::optional<core::Clock::WallTime> expiry;  // nullopt: Go's zero time
  std::int64_t expires_in = 0;
};

// MarshalIndent output, with `utc_offset` the local zone's offset at `expiry`
// (the caller passes the real one; tests fix it).
core::Secret format_go_token(const GoToken& token, std::chrono::seconds utc_offset);

core::Result<GoToken> parse_go_token(std::string_view json);

// Token.Valid() of x/oauth2: non-empty access token, not within 10 s of expiry.
bool go_token_valid(const GoToken& token, core::Clock::WallTime now);

// Go's time.Format(time.RFC3339Nano) and time.Parse(time.RFC3339, ...).
std::string format_rfc3339_nano(core::Clock::WallTime time, std::chrono::seconds utc_offset);
std::optional<core::Clock::WallTime> parse_rfc3339(std::string_view text);

// The local zone's offset from UTC at a given time (tm_gmtoff).
std::chrono::seconds local_utc_offset(core::Clock::WallTime time);

}  // namespace mailoauth::compat
