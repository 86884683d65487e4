// Go time layouts by civil-date arithmetic (std::chrono calendar types).
#include "mailoauth/compat/go_time.hpp"

#include <fmt/format.h>

#include "mailoauth/compat/go_token.hpp"

namespace mailoauth::compat {
namespace {

struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

Civil civil(const ZonedTime& time) {
  if (!time.known) return {1, 1, 1, 0, 0, 0};
  const auto local = time.utc + time.offset;
  const auto days = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(local - days);
  return {static_cast<int>(date.year()),
          static_cast<unsigned>(date.month()),
          static_cast<unsigned>(date.day()),
          static_cast<unsigned>(clock.hours().count()),
          static_cast<unsigned>(clock.minutes().count()),
          static_cast<unsigned>(clock.seconds().count())};
}

}  // namespace

ZonedTime zoned(core::Clock::WallTime time, std::chrono::seconds offset) {
  return {std::chrono::floor<std::chrono::seconds>(time), offset, true};
}

std::string format_go_rfc3339(const ZonedTime& time) {
  // Whole seconds, so RFC3339Nano prints no fraction: exactly time.RFC3339.
  if (!time.known) return "0001-01-01T00:00:00Z";
  return format_rfc3339_nano(core::Clock::WallTime(time.utc.time_since_epoch()), time.offset);
}

std::string format_go_report_time(const ZonedTime& time) {
  const Civil c = civil(time);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour,
                     c.minute, c.second);
}

std::string format_go_file_stamp(const ZonedTime& time) {
  const Civil c = civil(time);
  return fmt::format("{:04}-{:02}-{:02}-{:02}_{:02}", c.year, c.month, c.day, c.hour, c.minute);
}

}  // namespace mailoauth::compat
