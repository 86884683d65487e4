// The small pieces a built message (message.cpp, GMime) and a ready-made one
// (raw_message.cpp, no GMime) share: address and header-text checks, the
// Message-ID and Date they add, the envelope's recipient list without
// repeats, and whether the bytes need 8BITMIME or SMTPUTF8. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/mime/message.hpp"

namespace mailoauth::mime {

bool has_line_break_or_nul(std::string_view text);
bool is_ascii(std::string_view text);

// user@domain with nothing a command could hide in: Config `mime.bad_address`.
core::Result<void> check_address(std::string_view address, std::string_view role);

std::string domain_of(std::string_view address);
// "<24 random hex digits>.mailoauth@domain" (localhost when empty).
std::string make_message_id(std::string_view domain);
// "Wed, 02 Dec 2026 14:48:56 +0000" (RFC 5322 section 3.3).
std::string rfc5322_date(core::Clock::WallTime time);

// Appends `address` unless it is there already (ASCII case-insensitive).
void add_recipient(std::vector<std::string>& recipients, std::string_view address);

}  // namespace mailoauth::mime
