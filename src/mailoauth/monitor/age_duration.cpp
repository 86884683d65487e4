// Age durations: a strict scanner with an overflow bound (100 years).
#include "mailoauth/monitor/age_duration.hpp"

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::monitor {
namespace {

std::string shown_in_message(std::string_view text) {
  return core::escape_control_characters(text.substr(0, 40));
}

constexpr std::int64_t kMaxSeconds = 100LL * 366 * 86400;

core::Result<std::chrono::seconds> refuse(std::string_view what, std::string_view text,
                                          std::string_view why) {
  return core::fail(
      core::ErrorClass::Config, "nagios.bad_duration",
      fmt::format("{}: invalid duration \"{}\": {}", what, shown_in_message(text), why),
      "write a number and a unit: 90s, 30m, 2h, 1d, 1w, or parts: 1h30m");
}

}  // namespace

core::Result<std::chrono::seconds> parse_age_duration(std::string_view text,
                                                      std::string_view what) {
  if (text.empty()) return refuse(what, text, "it is empty");
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxSeconds) return refuse(what, text, "it is too long");
      ++i, ++digits;
    }
    if (digits == 0) return refuse(what, text, "expected a number");
    if (i == text.size()) return refuse(what, text, "a unit is missing (s, m, h, d or w)");
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return refuse(what, text, "the unit must be s, m, h, d or w");
    }
    ++i;
    total += number * unit;
    if (total > kMaxSeconds) return refuse(what, text, "it is too long");
  }
  return std::chrono::seconds(total);
}

std::string format_age(std::chrono::seconds age) {
  std::int64_t left = age.count() < 0 ? 0 : age.count();
  static constexpr std::pair<std::int64_t, char> kUnits[] = {
      {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  std::string text;
  int parts = 0;
  for (const auto& [size, name] : kUnits) {
    const std::int64_t count = left / size;
    if (count == 0 && parts == 0) continue;
    left -= count * size;
    if (parts > 0 && count == 0) break;
    if (!text.empty()) text += ' ';
    text += fmt::format("{}{}", count, name);
    if (++parts == 2) break;
  }
  return text.empty() ? "0s" : text;
}

}  // namespace mailoauth::monitor
