// Go flag-package semantics, transcribed from its documented behaviour (the
// parse loop of flag.FlagSet.parseOne and PrintDefaults), so check-mail users'
// command lines and their expectations of the help text keep working.
#include "mailoauth/cli/go_flags.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::cli {

namespace {

core::Error usage_error(std::string message) {
  return core::Error(core::ErrorClass::Config, "cli.bad_flag", std::move(message));
}

std::string trim(std::string_view text) {
  const auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
  };
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

// Go's %q for the default of a string flag (printable ASCII subset is enough
// for the defaults we define; anything else is escaped as Go does).
std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out += core::escape_control_characters(std::string_view(&c, 1));
  }
  out.push_back('"');
  return out;
}

}  // namespace

bool parse_go_bool(std::string_view text, bool* value) {
  static constexpr std::string_view kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::string_view kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  if (std::find(std::begin(kTrue), std::end(kTrue), text) != std::end(kTrue)) {
    *value = true;
    return true;
  }
  if (std::find(std::begin(kFalse), std::end(kFalse), text) != std::end(kFalse)) {
    *value = false;
    return true;
  }
  return false;
}

bool parse_go_int(std::string_view text, std::int64_t* value, bool* out_of_range) {
  *out_of_range = false;
  if (text.empty()) return false;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  bool prefixed = false;
  if (text.size() >= 2 && text[0] == '0') {
    const char marker = static_cast<char>(text[1] | 0x20);
    if (marker == 'x') base = 16;
    if (marker == 'o') base = 8;
    if (marker == 'b') base = 2;
    if (base != 10) {
      text.remove_prefix(2);
      prefixed = true;
    } else {
      base = 8;  // a leading 0 means octal in base 0
      text.remove_prefix(1);
      prefixed = true;
      if (text.empty()) return false;
    }
  }
  if (text.empty()) return false;
  // Underscores only with a base prefix, only between digits.
  std::uint64_t magnitude = 0;
  bool previous_underscore = true;  // forbids a leading underscore without prefix
  if (prefixed) previous_underscore = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      if (!prefixed || previous_underscore) return false;
      previous_underscore = true;
      continue;
    }
    previous_underscore = false;
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'z') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') digit = c - 'A' + 10;
    if (digit < 0 || digit >= base) return false;
    if (magnitude > (std::numeric_limits<std::uint64_t>::max() - static_cast<unsigned>(digit)) /
                        static_cast<unsigned>(base)) {
      *out_of_range = true;
      return false;
    }
    magnitude = magnitude * static_cast<unsigned>(base) + static_cast<unsigned>(digit);
  }
  if (previous_underscore && prefixed) return false;  // trailing underscore
  const std::uint64_t limit =
      negative ? std::uint64_t{1} << 63 : std::uint64_t{std::numeric_limits<std::int64_t>::max()};
  if (magnitude > limit) {
    *out_of_range = true;
    return false;
  }
  *value =
      negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
  return true;
}

void GoFlagSet::add_string(std::string name, std::string* target, std::string default_value,
                           std::string usage) {
  *target = default_value;
  Flag flag{Kind::String, std::move(usage), std::move(default_value)};
  flag.string_target = target;
  flags_.insert_or_assign(std::move(name), std::move(flag));
}

void GoFlagSet::add_bool(std::string name, bool* target, bool default_value, std::string usage) {
  *target = default_value;
  Flag flag{Kind::Bool, std::move(usage), default_value ? "true" : "false"};
  flag.bool_target = target;
  flags_.insert_or_assign(std::move(name), std::move(flag));
}

void GoFlagSet::add_int(std::string name, std::int64_t* target, std::int64_t default_value,
                        std::string usage) {
  *target = default_value;
  Flag flag{Kind::Int, std::move(usage), std::to_string(default_value)};
  flag.int_target = target;
  flags_.insert_or_assign(std::move(name), std::move(flag));
}

void GoFlagSet::add_list(std::string name, std::vector<std::string>* target, std::string usage,
                         bool split) {
  Flag flag{Kind::List, std::move(usage), ""};
  flag.list_target = target;
  flag.split = split;
  flags_.insert_or_assign(std::move(name), std::move(flag));
}

core::Result<void> GoFlagSet::set(const std::string& name, Flag& flag, std::string_view value) {
  switch (flag.kind) {
    case Kind::String:
      *flag.string_target = std::string(value);
      break;
    case Kind::Bool:
      if (!parse_go_bool(value, flag.bool_target)) {
        return core::fail(usage_error(
            fmt::format("invalid boolean value {} for -{}: parse error", go_quote(value), name)));
      }
      break;
    case Kind::Int: {
      bool out_of_range = false;
      if (!parse_go_int(value, flag.int_target, &out_of_range)) {
        return core::fail(
            usage_error(fmt::format("invalid value {} for flag -{}: {}", go_quote(value), name,
                                    out_of_range ? "value out of range" : "parse error")));
      }
      break;
    }
    case Kind::List: {
      if (!flag.split) {
        flag.list_target->emplace_back(value);
        break;
      }
      std::size_t start = 0;
      while (true) {
        const std::size_t comma = value.find(',', start);
        flag.list_target->push_back(trim(value.substr(start, comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
      break;
    }
  }
  if (std::find(set_.begin(), set_.end(), name) == set_.end()) set_.push_back(name);
  return {};
}

core::Result<std::vector<std::string>> GoFlagSet::parse(std::span<const std::string> arguments) {
  std::size_t index = 0;
  while (index < arguments.size()) {
    const std::string& argument = arguments[index];
    if (argument.size() < 2 || argument[0] != '-') break;  // "" , "x", "-" are arguments
    std::size_t dashes = 1;
    if (argument[1] == '-') {
      dashes = 2;
      if (argument.size() == 2) {  // "--" terminates the flags
        ++index;
        break;
      }
    }
    std::string_view name = std::string_view(argument).substr(dashes);
    if (name.empty() || name[0] == '-' || name[0] == '=') {
      return core::fail(usage_error(fmt::format("bad flag syntax: {}", argument)));
    }
    ++index;
    bool has_value = false;
    std::string_view value;
    if (const std::size_t equals = name.find('='); equals != std::string_view::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
      has_value = true;
    }
    const auto found = flags_.find(name);
    if (found == flags_.end()) {
      if (name == "help" || name == "h") {
        return core::fail(
            core::Error(core::ErrorClass::Config, "cli.help_requested", "flag: help requested"));
      }
      return core::fail(usage_error(fmt::format("flag provided but not defined: -{}", name)));
    }
    Flag& flag = found->second;
    if (flag.kind == Kind::Bool) {
      if (!has_value) value = "true";
    } else if (!has_value) {
      if (index >= arguments.size()) {
        return core::fail(usage_error(fmt::format("flag needs an argument: -{}", name)));
      }
      value = arguments[index++];
    }
    if (auto result = set(found->first, flag, value); !result) return core::fail(result.error());
  }
  return std::vector<std::string>(arguments.begin() + static_cast<std::ptrdiff_t>(index),
                                  arguments.end());
}

bool GoFlagSet::was_set(std::string_view name) const {
  return std::find(set_.begin(), set_.end(), name) != set_.end();
}

std::string GoFlagSet::defaults() const {
  std::string out;
  for (const auto& [name, flag] : flags_) {
    std::string line = "  -" + name;
    // UnquoteUsage: a back-quoted word names the value and loses its quotes.
    std::string usage = flag.usage;
    std::string value_name;
    if (const auto open = usage.find('`'); open != std::string::npos) {
      if (const auto close = usage.find('`', open + 1); close != std::string::npos) {
        value_name = usage.substr(open + 1, close - open - 1);
        usage = usage.substr(0, open) + value_name + usage.substr(close + 1);
      }
    }
    if (value_name.empty()) {
      switch (flag.kind) {
        case Kind::String:
          value_name = "string";
          break;
        case Kind::Int:
          value_name = "int";
          break;
        case Kind::List:
          value_name = "value";
          break;
        case Kind::Bool:
          break;
      }
    }
    if (!value_name.empty()) line += " " + value_name;
    line += line.size() <= 4 ? "\t" : "\n    \t";
    std::string indented;
    for (char c : usage) {
      indented.push_back(c);
      if (c == '\n') indented += "    \t";
    }
    line += indented;
    const bool is_zero = flag.kind == Kind::String ? flag.default_text.empty()
                         : flag.kind == Kind::Bool ? flag.default_text == "false"
                         : flag.kind == Kind::Int  ? flag.default_text == "0"
                                                   : true;
    if (!is_zero) {
      line += flag.kind == Kind::String ? fmt::format(" (default {})", go_quote(flag.default_text))
                                        : fmt::format(" (default {})", flag.default_text);
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace mailoauth::cli
