// Logging for every mailoauth tool: check-mail's level names (disabled, panic,
// fatal, error, warn, info, debug, trace) so its `--log-level` values keep
// working; three formats (console for people, logfmt and JSON for collectors);
// stderr by default because stdout belongs to plugin output and tokens. Fields are
// typed: a Secret given as a field is printed as `<redacted N bytes>`, and wire()
// runs protocol lines through redact_wire_line(), so a trace cannot leak a
// credential. Control characters in messages are escaped, so a hostile server
// reply cannot forge log lines. The Logger is passed by reference (no global);
// panic and fatal are severities only, the caller decides to stop.
#pragma once

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/redact.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::core {

enum class LogLevel { Disabled, Panic, Fatal, Error, Warn, Info, Debug, Trace };
enum class LogFormat { Console, Logfmt, Json };

Result<LogLevel> parse_log_level(std::string_view text);
Result<LogFormat> parse_log_format(std::string_view text);
std::string_view to_string(LogLevel level);

// A log field's value; Redacted stands for a Secret and prints only its size.
struct Redacted {
  std::size_t size;
};
using FieldValue = std::variant<std::string_view, std::int64_t, double, bool, Redacted>;

struct Field {
  Field(std::string_view key_, std::string_view value_) : key(key_), value(value_) {}
  Field(std::string_view key_, const char* value_) : key(key_), value(std::string_view(value_)) {}
  Field(std::string_view key_, const std::string& value_)
      : key(key_), value(std::string_view(value_)) {}
  Field(std::string_view key_, bool value_) : key(key_), value(value_) {}
  Field(std::string_view key_, double value_) : key(key_), value(value_) {}
  template <std::integral Integer>
  requires(!std::same_as<Integer, bool>) Field(std::string_view key_, Integer value_)
      : key(key_), value(static_cast<std::int64_t>(value_)) {}
  Field(std::string_view key_, const Secret& secret) : key(key_), value(Redacted{secret.size()}) {}

  std::string_view key;
  FieldValue value;
};

// Where finished lines go. One call per line, the line ends in '\n'.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void write(std::string_view line) = 0;
};

class StderrSink final : public LogSink {
 public:
  void write(std::string_view line) override;
};

// Collects lines in memory (tests, and tools that show the log in a report).
class MemorySink final : public LogSink {
 public:
  void write(std::string_view line) override {
    std::lock_guard lock(mutex_);
    text_.append(line);
  }
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::Info, LogFormat format = LogFormat::Console,
                  LogSink* sink = nullptr, const Clock& clock = system_clock());

  LogLevel level() const { return level_; }
  void set_level(LogLevel level) { level_ = level; }
  bool enabled(LogLevel level) const {
    return level != LogLevel::Disabled && level_ != LogLevel::Disabled && level <= level_;
  }

  void log(LogLevel level, std::string_view message, std::initializer_list<Field> fields = {});
  void error(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(LogLevel::Error, message, fields);
  }
  void warn(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(LogLevel::Warn, message, fields);
  }
  void info(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(LogLevel::Info, message, fields);
  }
  void debug(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(LogLevel::Debug, message, fields);
  }
  void trace(std::string_view message, std::initializer_list<Field> fields = {}) {
    log(LogLevel::Trace, message, fields);
  }
  // An Error with its class, code and remedy as fields.
  void error(const Error& error);

  // A protocol line at trace level: direction is "C" (we sent) or "S" (peer sent).
  void wire(std::string_view direction, std::string_view line,
            WireContent content = WireContent::Normal);

 private:
  LogLevel level_;
  LogFormat format_;
  LogSink* sink_;
  const Clock& clock_;
};

// For text that reaches a terminal or a log: CR, LF, NUL and other control
// characters become visible escapes (\r, \n, \x00).
std::string escape_control_characters(std::string_view text);

}  // namespace mailoauth::core
