// RFC 5322 Date header parsing for display (see the header).
#include "mailoauth/compat/message_date.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::compat {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                      "jul", "aug", "sep", "oct", "nov", "dec"};

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  int comment = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '(') {
      ++comment;
      ++i;
    } else if (c == ')') {
      if (comment > 0) --comment;
      ++i;
    } else if (comment > 0 || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',') {
      ++i;
    } else {
      std::size_t end = i;
      while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != ',' &&
             text[end] != '(' && text[end] != '\r' && text[end] != '\n') {
        ++end;
      }
      out.push_back(text.substr(i, end - i));
      i = end;
    }
  }
  return out;
}

std::optional<int> number(std::string_view text) {
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::chrono::seconds> zone_offset(std::string_view zone) {
  if ((zone.size() == 5) && (zone[0] == '+' || zone[0] == '-')) {
    const auto digits = number(zone.substr(1));
    if (!digits) return std::nullopt;
    const auto offset = std::chrono::hours(*digits / 100) + std::chrono::minutes(*digits % 100);
    return std::chrono::duration_cast<std::chrono::seconds>(zone[0] == '-' ? -offset : offset);
  }
  struct Named {
    std::string_view name;
    int hours;
  };
  constexpr std::array<Named, 10> kNamed = {{{"UT", 0},
                                             {"UTC", 0},
                                             {"GMT", 0},
                                             {"Z", 0},
                                             {"EST", -5},
                                             {"EDT", -4},
                                             {"CST", -6},
                                             {"CDT", -5},
                                             {"MST", -7},
                                             {"PDT", -7}}};
  for (const auto& named : kNamed) {
    if (core::iequals(zone, named.name)) return std::chrono::hours(named.hours);
  }
  if (core::iequals(zone, "PST")) return std::chrono::hours(-8);
  if (core::iequals(zone, "MDT")) return std::chrono::hours(-6);
  return std::nullopt;
}

}  // namespace

ZonedTime parse_message_date(std::string_view text) {
  ZonedTime unknown;
  unknown.known = false;
  auto parts = words(text);
  if (!parts.empty() && parts[0].size() >= 3 && !number(parts[0])) {
    parts.erase(parts.begin());  // the weekday
  }
  if (parts.size() < 4) return unknown;
  const auto day = number(parts[0]);
  std::optional<unsigned> month;
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (core::iequals(parts[1].substr(0, 3), kMonths[m]) && parts[1].size() >= 3) month = m + 1;
  }
  auto year = number(parts[2]);
  if (!day || !month || !year) return unknown;
  if (parts[2].size() <= 2) *year += *year < 50 ? 2000 : 1900;
  if (parts[2].size() == 3) *year += 1900;

  int hms[3] = {0, 0, 0};
  std::string_view clock = parts[3];
  for (int field = 0; field < 3 && !clock.empty(); ++field) {
    const std::size_t colon = clock.find(':');
    const auto value = number(clock.substr(0, colon));
    if (!value) return unknown;
    hms[field] = *value;
    clock = colon == std::string_view::npos ? std::string_view() : clock.substr(colon + 1);
    if (field == 0 && colon == std::string_view::npos) return unknown;
  }
  if (hms[0] > 23 || hms[1] > 59 || hms[2] > 60) return unknown;
  std::chrono::seconds offset{0};
  if (parts.size() >= 5) {
    const auto zone = zone_offset(parts[4]);
    if (!zone) return unknown;
    offset = *zone;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return unknown;
  ZonedTime result;
  result.utc = std::chrono::sys_days(date) + std::chrono::hours(hms[0]) +
               std::chrono::minutes(hms[1]) + std::chrono::seconds(hms[2]) - offset;
  result.offset = offset;
  return result;
}

}  // namespace mailoauth::compat
