// Formatting of log lines in the three formats. Each line is built completely
// and handed to the sink in one write, so concurrent loggers never interleave
// halves of lines.
#include "mailoauth/core/log.hpp"

#include <array>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace mailoauth::core {

namespace {

constexpr std::array<std::string_view, 8> kLevelNames = {"disabled", "panic", "fatal", "error",
                                                         "warn",     "info",  "debug", "trace"};

std::string value_text(const FieldValue& value) {
  struct Visitor {
    std::string operator()(std::string_view text) const { return std::string(text); }
    std::string operator()(std::int64_t number) const { return fmt::format("{}", number); }
    std::string operator()(double number) const { return fmt::format("{}", number); }
    std::string operator()(bool flag) const { return flag ? "true" : "false"; }
    std::string operator()(Redacted secret) const { return redacted_size(secret.size); }
  };
  return std::visit(Visitor{}, value);
}

bool needs_quotes(std::string_view text) {
  if (text.empty()) return true;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == ' ' || c == '=' || c == '"' || c == '\\' || byte < 0x20 || byte == 0x7f) return true;
  }
  return false;
}

// A raw value as logfmt: bare when safe, else quoted with \" \\ and control escapes.
std::string logfmt_value(std::string_view text) {
  if (!needs_quotes(text)) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out += escape_control_characters(std::string_view(&c, 1));
    }
  }
  out.push_back('"');
  return out;
}

// Keys are ours, but a caller might pass one from input: keep logfmt parseable.
std::string safe_key(std::string_view key) {
  std::string out;
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back((byte <= 0x20 || c == '=' || c == '"' || byte >= 0x7f) ? '_' : c);
  }
  return out.empty() ? std::string("_") : out;
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view text) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (text == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return fail(ErrorClass::Config, "log.bad_level",
              fmt::format("unknown log level \"{}\"", escape_control_characters(text)),
              "use one of disabled, panic, fatal, error, warn, info, debug, trace");
}

Result<LogFormat> parse_log_format(std::string_view text) {
  if (text == "console") return LogFormat::Console;
  if (text == "logfmt") return LogFormat::Logfmt;
  if (text == "json") return LogFormat::Json;
  return fail(ErrorClass::Config, "log.bad_format",
              fmt::format("unknown log format \"{}\"", escape_control_characters(text)),
              "use one of console, logfmt, json");
}

std::string_view to_string(LogLevel level) {
  return kLevelNames[static_cast<std::size_t>(level)];
}

std::string escape_control_characters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void StderrSink::write(std::string_view line) {
  // One write(2) per line: atomic for lines up to PIPE_BUF on pipes.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;  // nowhere else to report a failing stderr
    done += static_cast<std::size_t>(n);
  }
}

Logger::Logger(LogLevel level, LogFormat format, LogSink* sink, const Clock& clock)
    : level_(level), format_(format), sink_(sink), clock_(clock) {
  static StderrSink stderr_sink;
  if (sink_ == nullptr) sink_ = &stderr_sink;
}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level)) return;
  const std::string time = format_rfc3339_utc(clock_.now());
  std::string line;
  switch (format_) {
    case LogFormat::Console: {
      std::string level_name(to_string(level));
      for (auto& c : level_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      line = fmt::format("{} {:<5} {}", time, level_name, escape_control_characters(message));
      for (const auto& field : fields) {
        line += fmt::format(" {}={}", safe_key(field.key), logfmt_value(value_text(field.value)));
      }
      break;
    }
    case LogFormat::Logfmt: {
      line = fmt::format("time={} level={} msg={}", time, to_string(level), logfmt_value(message));
      for (const auto& field : fields) {
        line += fmt::format(" {}={}", safe_key(field.key), logfmt_value(value_text(field.value)));
      }
      break;
    }
    case LogFormat::Json: {
      nlohmann::ordered_json object;
      object["time"] = time;
      object["level"] = to_string(level);
      object["msg"] = std::string(message);
      for (const auto& field : fields) {
        const std::string key(field.key);
        std::visit(
            [&](const auto& value) {
              using T = std::decay_t<decltype(value)>;
              if constexpr (std::is_same_v<T, std::string_view>) {
                object[key] = std::string(value);
              } else if constexpr (std::is_same_v<T, Redacted>) {
                object[key] = redacted_size(value.size);
              } else {
                object[key] = value;
              }
            },
            field.value);
      }
      // Invalid UTF-8 from a peer is replaced, never thrown on.
      line = object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      break;
    }
  }
  line.push_back('\n');
  sink_->write(line);
}

void Logger::error(const Error& error) {
  if (error.remedy().empty()) {
    log(LogLevel::Error, error.message(),
        {{"class", to_string(error.error_class())}, {"code", error.code()}});
  } else {
    log(LogLevel::Error, error.message(),
        {{"class", to_string(error.error_class())},
         {"code", error.code()},
         {"remedy", error.remedy()}});
  }
}

void Logger::wire(std::string_view direction, std::string_view line, WireContent content) {
  if (!enabled(LogLevel::Trace)) return;
  log(LogLevel::Trace, redact_wire_line(line, content), {{"dir", direction}});
}

}  // namespace mailoauth::core
