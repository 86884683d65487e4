// The times check-mail prints, in Go's layouts: a message's date as
// time.RFC3339 in the offset the message gave ("2024-03-05T09:15:00+01:00",
// "Z" for +00:00, "0001-01-01T00:00:00Z" when go-imap could not parse it),
// "2006-01-02 15:04:05" (report generated) and "2006-01-02-15_04" (file names)
// in the local time zone. The offset is passed in, so tests are deterministic;
// take it from local_utc_offset() (go_token.hpp) at the edge.
#pragma once
#include <chrono>
#include <string>

#include "mailoauth/core/clock.hpp"

namespace mailoauth::compat {

// A point in time with the UTC offset it is shown in.
struct ZonedTime {
  std::chrono::sys_seconds utc{};
  std::chrono::seconds offset{0};
  bool known = true;  // false: Go's zero time (an unparsable Date header)
};

ZonedTime zoned(core::Clock::WallTime time, std::chrono::seconds offset);

// time.RFC3339: 2006-01-02T15:04:05Z07:00.
std::string format_go_rfc3339(const ZonedTime& time);
// "2006-01-02 15:04:05" (the report's "Report generated").
std::string format_go_report_time(const ZonedTime& time);
// "2006-01-02-15_04" (check-mail's log and report file names).
std::string format_go_file_stamp(const ZonedTime& time);

}  // namespace mailoauth::compat
