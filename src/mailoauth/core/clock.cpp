// The real clock and RFC 3339 formatting (UTC, no locale, no tz database).
#include "mailoauth/core/clock.hpp"

#include <ctime>

#include <fmt/format.h>

namespace mailoauth::core {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string format_rfc3339_utc(Clock::WallTime time, bool with_milliseconds) {
  using namespace std::chrono;
  const auto since_epoch = time.time_since_epoch();
  auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
  auto millis = duration_cast<milliseconds>(since_epoch - seconds).count();
  if (millis < 0) {  // before 1970: floor, not truncate
    millis += 1000;
    seconds -= std::chrono::seconds{1};
  }
  const std::time_t as_time_t = static_cast<std::time_t>(seconds.count());
  std::tm parts{};
  gmtime_r(&as_time_t, &parts);
  if (with_milliseconds) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", parts.tm_year + 1900,
                       parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                       millis);
  }
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", parts.tm_year + 1900, parts.tm_mon + 1,
                     parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec);
}

}  // namespace mailoauth::core
