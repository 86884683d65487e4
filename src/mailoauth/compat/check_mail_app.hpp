// What every config-based check-mail tool (fetch-token, read-token, lsimap, the
// plugins) shares, so each drop-in's main() is only its own flags and work:
// -h, -help, -version and -log-level; help printed to stdout (check-mail sends
// it there so Nagios XI shows it) as "\n<version>\n\nUsage of <argv0>:\n<flags>\n";
// a flag error printed Go's way (message, then usage, on stdout) and an
// "Error initializing application" log line on stderr. Unlike check-mail, which
// exits 0 after a configuration error, these exit 2 (the exit code of Go's own
// flag errors) so a caller can tell.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "mailoauth/cli/go_flags.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::compat {

inline constexpr int kExitBadConfiguration = 2;

class CheckMailApp {
 public:
  CheckMailApp(std::string tool, std::string argv0);

  cli::GoFlagSet& flags() { return flags_; }
  core::Logger& logger() { return *logger_; }

  // Parses the command line. nullopt: carry on; a value: exit with it (help or
  // version printed, or a flag error reported).
  std::optional<int> parse(int argc, char** argv);

  // For the tool's own validation after parse(): reports Go-style and returns 2.
  int configuration_error(const std::string& message);

  std::string version_line() const;
  std::string help_text() const;

 private:
  std::string tool_;
  cli::GoFlagSet flags_;
  bool help_ = false;
  bool version_ = false;
  std::string log_level_;
  std::unique_ptr<core::Logger> logger_;
};

}  // namespace mailoauth::compat
