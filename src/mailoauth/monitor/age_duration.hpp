// Durations for the age thresholds (--age-warning 30m, --age-critical 1d) and
// their display in status lines. Accepted: one or more <integer><unit> parts,
// unit s, m, h, d or w ("90s", "30m", "2h", "1d", "1h30m"); a bare number is
// refused because "30" could mean seconds or minutes. No I/O.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::monitor {

// Error code `nagios.bad_duration` (Config), naming `what` ("--age-warning").
core::Result<std::chrono::seconds> parse_age_duration(std::string_view text,
                                                      std::string_view what = "duration");

// The two largest non-zero units: "1d 2h", "3h 12m", "5m 3s", "42s", "0s".
std::string format_age(std::chrono::seconds age);

}  // namespace mailoauth::monitor
