// Perfdata items: validation of each field and the one rendering.
#include "mailoauth/monitor/perfdata.hpp"

#include <array>

#include <fmt/format.h>

namespace mailoauth::monitor {
namespace {

core::Result<void> refuse(std::string_view why) {
  return core::fail(core::ErrorClass::Bug, "nagios.bad_perfdata", std::string(why));
}

bool is_number(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') ++i;
  std::size_t digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i, ++digits;
  }
  return digits > 0 && i == text.size();
}

bool has_control(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

bool is_valid_unit(std::string_view unit) {
  static constexpr std::array<std::string_view, 10> kUnits = {"",  "s",  "ms", "us", "%",
                                                              "B", "KB", "MB", "TB", "c"};
  for (auto known : kUnits) {
    if (unit == known) return true;
  }
  return false;
}

std::string quote_label(std::string_view label) {
  std::string quoted = "'";
  for (char c : label) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  quoted += '\'';
  return quoted;
}

core::Result<void> PerfData::validate() const {
  if (label.empty()) return refuse("perfdata label is empty");
  if (label.find('=') != std::string::npos || has_control(label)) {
    return refuse(fmt::format("perfdata label \"{}\" contains '=' or a control character", label));
  }
  if (value != "U" && !is_number(value)) {
    return refuse(fmt::format("perfdata {}: value \"{}\" is not a number", label, value));
  }
  if (!is_valid_unit(unit)) {
    return refuse(
        fmt::format("perfdata {}: unit \"{}\" is not one of s ms us % B KB MB TB c", label, unit));
  }
  for (const std::string* range : {&warning, &critical}) {
    if (!range->empty() && !Range::parse(*range, "perfdata " + label)) {
      return refuse(fmt::format("perfdata {}: threshold \"{}\" is not a range", label, *range));
    }
  }
  for (const std::string* bound : {&minimum, &maximum}) {
    if (!bound->empty() && !is_number(*bound)) {
      return refuse(fmt::format("perfdata {}: bound \"{}\" is not a number", label, *bound));
    }
  }
  return {};
}

core::Result<PerfData> PerfData::make(std::string label, std::string value, std::string unit,
                                      std::string warning, std::string critical,
                                      std::string minimum, std::string maximum) {
  PerfData item{std::move(label),    std::move(value),   std::move(unit),   std::move(warning),
                std::move(critical), std::move(minimum), std::move(maximum)};
  if (auto valid = item.validate(); !valid) return std::unexpected(valid.error());
  return item;
}

std::string PerfData::render() const {
  return fmt::format(" {}={}{};{};{};{};{}", quote_label(label), value, unit, warning, critical,
                     minimum, maximum);
}

PerfData time_metric(std::chrono::milliseconds elapsed) {
  return PerfData{"time", std::to_string(elapsed.count()), "ms", "", "", "", ""};
}

PerfData count_metric(std::string label, std::uint64_t count, const std::optional<Range>& warning,
                      const std::optional<Range>& critical) {
  return PerfData{std::move(label),
                  std::to_string(count),
                  "",
                  warning ? warning->text() : "",
                  critical ? critical->text() : "",
                  "0",
                  ""};
}

std::string perfdata_label_from_name(std::string_view name) {
  if (name.empty()) return "_";
  std::string label(name);
  for (char& c : label) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '=' || byte < 0x20 || byte == 0x7f) c = '_';
  }
  return label;
}

}  // namespace mailoauth::monitor
