// A message's Date header (RFC 5322 section 3.3, with the obsolete forms mail
// still carries: no weekday, two-digit years, no seconds, zone names such as
// GMT/EST, a trailing "(UTC)" comment) as a ZonedTime in its own offset, for
// list-emails' Date column (check-mail shows go-imap's parsed Envelope.Date in
// RFC 3339). An unparsable header gives `known = false`, Go's zero time, as
// go-imap does. Pure.
#pragma once

#include <string_view>

#include "mailoauth/compat/go_time.hpp"

namespace mailoauth::compat {

ZonedTime parse_message_date(std::string_view text);

}  // namespace mailoauth::compat
