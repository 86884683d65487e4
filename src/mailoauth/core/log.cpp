// Formatting of log lines in the three formats. Each line is built completely
// and handed to the sink in one write, so concurrent loggers never interleave
// halves of lines. Every message and text field goes through escape_text, in
// every format: CR, LF, tab, other C0 controls, DEL and bytes that are not
// valid UTF-8 (a server's reply in Latin-1, a hostile byte string) become
// visible escapes, so nothing a peer sends can forge a line or reach a
// terminal raw. escape_control_characters is the same function.
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

// The length of the valid UTF-8 sequence at text[i] (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the allowed range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return length;
}

// The one escaping of text for logs and terminals: \r \n \t, \xNN for other
// C0 controls, DEL and every byte that is not part of valid UTF-8; with
// `logfmt_quoting`, also \" and \\ (the inside of a quoted logfmt value).
std::string escape_text(std::string_view text, bool logfmt_quoting) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      if (const std::size_t length = utf8_sequence_length(text, i); length > 0) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out += fmt::format("\\x{:02x}", byte);
        ++i;
      }
      continue;
    }
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else if (logfmt_quoting && (c == '"' || c == '\\')) {
      out.push_back('\\');
      out.push_back(c);
    } else {
      out.push_back(c);
    }
    ++i;
  }
  return out;
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
  if (!needs_quotes(text)) {
    std::string escaped = escape_text(text, false);
    if (escaped == text) return escaped;  // invalid UTF-8 escaped: quote it too
  }
  return "\"" + escape_text(text, true) + "\"";
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
  return escape_text(text, false);
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
      object["msg"] = escape_text(message, false);
      for (const auto& field : fields) {
        const std::string key(field.key);
        std::visit(
            [&](const auto& value) {
              using T = std::decay_t<decltype(value)>;
              if constexpr (std::is_same_v<T, std::string_view>) {
                object[key] = escape_text(value, false);
              } else if constexpr (std::is_same_v<T, Redacted>) {
                object[key] = redacted_size(value.size);
              } else {
                object[key] = value;
              }
            },
            field.value);
      }
      // Text is escaped above; `replace` is a second guard (keys), never a throw.
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
