// The debug log of the IMAP drop-ins (the check plugins, list-emails): each
// step as check-mail logs it at -log-level debug (connecting, connected,
// logging in, the folders, the counts, logging out) and, at trace, the IMAP
// dialogue as imap::Client hands it over, already redacted (a LOGIN password
// or an AUTHENTICATE response appears as `<redacted N bytes>`; check-mail's
// trace printed the password). A null logger costs nothing. Header-only: two
// small helpers shared by mailbox_check.cpp and email_listing.cpp.
#pragma once

#include <initializer_list>
#include <string_view>

#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/client_settings.hpp"

namespace mailoauth::compat {

class StepLog {
 public:
  explicit StepLog(core::Logger* logger) : logger_(logger) {}

  bool on(core::LogLevel level) const { return logger_ && logger_->enabled(level); }
  void debug(std::string_view message, std::initializer_list<core::Field> fields = {}) const {
    if (on(core::LogLevel::Debug)) logger_->debug(message, fields);
  }

  // `settings` with the trace set when the logger is at trace level.
  imap::ClientSettings traced(imap::ClientSettings settings) const {
    if (!on(core::LogLevel::Trace)) return settings;
    core::Logger* logger = logger_;
    settings.trace = [logger](imap::WireDirection direction, std::string_view line) {
      logger->trace(line, {{"dir", direction == imap::WireDirection::Sent ? "C" : "S"}});
    };
    return settings;
  }

  // "Connecting to server" with where and how.
  void connecting(const imap::ClientSettings& settings) const {
    debug("Connecting to server",
          {{"server", settings.host},
           {"port", settings.port},
           {"tls", settings.tls_mode == imap::TlsMode::StartTls ? "starttls" : "implicit"}});
  }

 private:
  core::Logger* logger_;
};

}  // namespace mailoauth::compat
