// date-time both ways by hand: a fixed-width grammar needs no strptime (which
// follows the locale) and must not choke on hostile input. Days are counted
// with the civil-from-days algorithm through <chrono>, so no timegm either.
#include "mailoauth/imap/date_time.hpp"

#include <array>
#include <chrono>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::imap {

namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

core::Error bad_date(std::string_view text, std::string_view why) {
  return core::Error(core::ErrorClass::Permanent, "imap.bad_date",
                     fmt::format("the server sent an invalid date-time \"{}\": {}",
                                 core::escape_control_characters(text), why));
}

// Digits at text[at, at + count) as a number, or -1.
int digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::string format_internal_date(core::Clock::WallTime time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto day = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss clock(seconds - day);
  return fmt::format("{:02}-{}-{:04} {:02}:{:02}:{:02} +0000", unsigned(date.day()),
                     kMonths[unsigned(date.month()) - 1], int(date.year()), clock.hours().count(),
                     clock.minutes().count(), clock.seconds().count());
}

core::Result<core::Clock::WallTime> parse_internal_date(std::string_view text) {
  // date-day-fixed = (SP DIGIT) / 2DIGIT; some servers send "7-Jul-..." too.
  std::string_view rest = text;
  if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  int day_of_month = -1;
  std::size_t at = 0;
  if (rest.size() > 1 && rest[1] == '-') {
    day_of_month = digits(rest, 0, 1);
    at = 2;
  } else {
    day_of_month = digits(rest, 0, 2);
    at = 3;
    if (rest.size() < 3 || rest[2] != '-')
      return core::fail(bad_date(text, "expected dd-Mon-yyyy"));
  }
  if (day_of_month < 1) return core::fail(bad_date(text, "bad day"));
  // "Mon-yyyy hh:mm:ss +hhmm" is 23 bytes.
  if (rest.size() != at + 23)
    return core::fail(bad_date(text, "expected dd-Mon-yyyy hh:mm:ss +zzzz"));
  const std::string_view month_name = rest.substr(at, 3);
  unsigned month = 0;
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (month_name == kMonths[i]) month = static_cast<unsigned>(i + 1);
  }
  if (month == 0) return core::fail(bad_date(text, "unknown month"));
  if (rest[at + 3] != '-' || rest[at + 8] != ' ' || rest[at + 11] != ':' || rest[at + 14] != ':' ||
      rest[at + 17] != ' ') {
    return core::fail(bad_date(text, "expected dd-Mon-yyyy hh:mm:ss +zzzz"));
  }
  const int year = digits(rest, at + 4, 4);
  const int hour = digits(rest, at + 9, 2);
  const int minute = digits(rest, at + 12, 2);
  const int second = digits(rest, at + 15, 2);
  const char sign = rest[at + 18];
  const int zone_hours = digits(rest, at + 19, 2);
  const int zone_minutes = digits(rest, at + 21, 2);
  if (year < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60 ||
      (sign != '+' && sign != '-') || zone_hours < 0 || zone_minutes < 0 || zone_minutes > 59) {
    return core::fail(bad_date(text, "a field is out of range"));
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(static_cast<unsigned>(day_of_month))};
  if (!date.ok()) return core::fail(bad_date(text, "no such day"));
  const auto zone = std::chrono::hours(zone_hours) + std::chrono::minutes(zone_minutes);
  auto instant = std::chrono::sys_days(date) + std::chrono::hours(hour) +
                 std::chrono::minutes(minute) + std::chrono::seconds(second);
  // "+0200" is two hours ahead of UTC: subtract it to get UTC.
  instant = sign == '+' ? instant - zone : instant + zone;
  return core::Clock::WallTime(
      std::chrono::duration_cast<core::Clock::WallTime::duration>(instant.time_since_epoch()));
}

}  // namespace mailoauth::imap
