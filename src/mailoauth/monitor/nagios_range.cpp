// Nagios ranges: a small hand-written scanner instead of go-nagios's regular
// expressions, so that every malformed range is refused with its reason and
// nothing is read as 0 by accident.
#include "mailoauth/monitor/nagios_range.hpp"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::monitor {
namespace {

std::string shown_in_message(std::string_view text) {
  return core::escape_control_characters(text.substr(0, 40));
}

constexpr std::size_t kMaxRangeLength = 64;

core::Result<Range> refuse(std::string_view what, std::string_view text, std::string_view why) {
  return core::fail(core::ErrorClass::Config, "nagios.bad_range",
                    fmt::format("{}: invalid range \"{}\": {}", what, shown_in_message(text), why),
                    "a range is [@][start][:end]: 10, 10:, ~:10, 10:20, @10:20 (decimals and "
                    "negative numbers allowed)");
}

// A decimal number: optional sign, digits, optional fraction. No exponent, no
// "inf"/"nan", no hex: what an admin types in a threshold.
bool parse_number(std::string_view text, double& value) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  }
  if (digits == 0 || i != text.size()) return false;
  std::string_view number = text;
  if (!number.empty() && number.front() == '+') number.remove_prefix(1);
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  return error == std::errc() && end == number.data() + number.size() && std::isfinite(value);
}

}  // namespace

core::Result<Range> Range::parse(std::string_view text, std::string_view what) {
  if (text.empty()) return refuse(what, text, "it is empty");
  if (text.size() > kMaxRangeLength) return refuse(what, text, "it is too long");
  Range range;
  range.text_ = std::string(text);
  std::string_view rest = text;
  if (rest.front() == '@') {
    range.inside_ = true;
    rest.remove_prefix(1);
    if (rest.empty()) return refuse(what, text, "nothing follows @");
  }
  const std::size_t colon = rest.find(':');
  if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos) {
    return refuse(what, text, "more than one ':'");
  }
  if (colon == std::string_view::npos) {
    // "10": 0..10. "~" alone has no end and means nothing.
    double end = 0;
    if (rest == "~") return refuse(what, text, "~ needs an end: ~:10");
    if (!parse_number(rest, end)) return refuse(what, text, "the end is not a number");
    range.start_ = 0.0;
    range.end_ = end;
  } else {
    const std::string_view start_text = rest.substr(0, colon);
    const std::string_view end_text = rest.substr(colon + 1);
    if (start_text.empty()) {
      range.start_ = 0.0;
    } else if (start_text == "~") {
      range.start_ = std::nullopt;
    } else {
      double start = 0;
      if (!parse_number(start_text, start)) return refuse(what, text, "the start is not a number");
      range.start_ = start;
    }
    if (!end_text.empty()) {
      double end = 0;
      if (!parse_number(end_text, end)) return refuse(what, text, "the end is not a number");
      range.end_ = end;
    }
    if (start_text.empty() && end_text.empty()) return refuse(what, text, "it has no numbers");
  }
  if (range.start_ && range.end_ && *range.start_ > *range.end_) {
    return refuse(what, text, "the start is greater than the end");
  }
  return range;
}

bool Range::alerts(double value) const {
  const bool below = start_ && value < *start_;
  const bool above = end_ && value > *end_;
  const bool outside = below || above;
  return inside_ ? !outside : outside;
}

core::NagiosState evaluate_thresholds(double value, const std::optional<Range>& warning,
                                      const std::optional<Range>& critical) {
  if (critical && critical->alerts(value)) return core::NagiosState::Critical;
  if (warning && warning->alerts(value)) return core::NagiosState::Warning;
  return core::NagiosState::Ok;
}

core::NagiosState worst_state(core::NagiosState a, core::NagiosState b) {
  const auto rank = [](core::NagiosState state) {
    switch (state) {
      case core::NagiosState::Ok:
        return 0;
      case core::NagiosState::Warning:
        return 1;
      case core::NagiosState::Unknown:
        return 2;
      case core::NagiosState::Critical:
        return 3;
    }
    return 2;
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace mailoauth::monitor
