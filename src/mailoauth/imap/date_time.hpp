// IMAP's date-time (RFC 3501 section 9, "date-time"): the INTERNALDATE a
// server keeps for each message ("17-Jul-1996 02:44:25 -0700", the day
// space-padded or not) and the form APPEND takes to set it. Tests append
// messages with known dates and monitoring checks compute a message's age
// from it, so both directions live here, with no locale (month names are
// English by the grammar, never the user's).
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"

namespace mailoauth::imap {

// "02-Jan-2026 15:04:05 +0000" (always UTC, day zero-padded), without quotes.
std::string format_internal_date(core::Clock::WallTime time);

// The instant a date-time names, its zone applied. Refuses a bad month,
// day, time or zone (imap.bad_date, Permanent: the server sent it).
core::Result<core::Clock::WallTime> parse_internal_date(std::string_view text);

}  // namespace mailoauth::imap
