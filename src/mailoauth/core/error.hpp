// Error and Result<T>: how every failure a peer, the network, the disk or an
// identity server can cause travels through mailoauth. An Error carries a class
// (Temporary, Permanent, Config, Bug) that decides, in exactly one table
// (error.cpp), the process exit code, the Nagios state, the SMTP reply class and
// whether a retry makes sense; a stable machine code for tests and scripts; a
// message a human can act on; and, where we know one, a remedy. Exceptions are
// kept for start-up and for bugs, caught at the edges.
#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace mailoauth::core {

// What kind of failure this is, which decides what the caller does about it.
enum class ErrorClass {
  Temporary,  // may succeed later unchanged: network, 4xx, 5xx of an HTTP server, ENOSPC
  Permanent,  // the peer refused for good: bad credentials, 5xx SMTP, invalid_grant
  Config,     // our side is set up wrongly: bad flag, missing file, unknown key
  Bug,        // an invariant broke: report it
};

class Error {
 public:
  Error(ErrorClass error_class, std::string code, std::string message, std::string remedy = {})
      : class_(error_class),
        code_(std::move(code)),
        message_(std::move(message)),
        remedy_(std::move(remedy)) {}

  ErrorClass error_class() const { return class_; }
  // Stable, dotted, lower case: "base64.invalid_character", "file.fsync".
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& remedy() const { return remedy_; }

  // Prefixes the message with what we were doing: "writing tokens.db: No space left".
  Error& context(std::string_view what);
  Error& with_remedy(std::string remedy);

  // When the peer said how long to wait (HTTP Retry-After), retries honour it.
  const std::optional<std::chrono::seconds>& retry_after() const { return retry_after_; }
  Error& with_retry_after(std::chrono::seconds delay) {
    retry_after_ = delay;
    return *this;
  }

  // "message" or "message (remedy: ...)"; never contains a secret because no
  // constructor takes one.
  std::string describe() const;

 private:
  ErrorClass class_;
  std::string code_;
  std::string message_;
  std::string remedy_;
  std::optional<std::chrono::seconds> retry_after_;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for the failing branch: `return fail(ErrorClass::Config, "x.y", "...")`.
inline std::unexpected<Error> fail(ErrorClass error_class, std::string code, std::string message,
                                   std::string remedy = {}) {
  return std::unexpected<Error>(
      Error(error_class, std::move(code), std::move(message), std::move(remedy)));
}
inline std::unexpected<Error> fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

// Nagios plugin states (Monitoring Plugins guidelines).
enum class NagiosState { Ok = 0, Warning = 1, Critical = 2, Unknown = 3 };

// The one mapping from a class to what the outside world sees.
struct ErrorClassPolicy {
  ErrorClass error_class;
  std::string_view name;                  // "temporary", ...
  int exit_code;                          // sysexits(3): what sendmail-style callers understand
  NagiosState nagios_state;               // for the check plugins
  int smtp_reply_code;                    // what the relay answers a client
  std::string_view smtp_enhanced_status;  // RFC 3463
  bool retry;                             // does a queue try again later?
};

const ErrorClassPolicy& policy_for(ErrorClass error_class);
std::string_view to_string(ErrorClass error_class);
std::string_view to_string(NagiosState state);

// Exit codes of mailoauth's own commands (sysexits.h values, spelled out so no
// header is needed and the table in the docs can be checked against them).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;        // EX_USAGE: bad command line
inline constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: refused for good
inline constexpr int kExitSoftware = 70;     // EX_SOFTWARE: a bug
inline constexpr int kExitTempFail = 75;     // EX_TEMPFAIL: try again later
inline constexpr int kExitConfig = 78;       // EX_CONFIG: configuration error

}  // namespace mailoauth::core
