// What every config-based check-mail tool (fetch-token, read-token, lsimap, the
// plugins) shares, so each drop-in's main() is only its own flags and work:
// -h, -help, -version and -log-level; help printed to stdout (check-mail sends
// it there so Nagios XI shows it) as "\n<version>\n\nUsage of <argv0>:\n<flags>\n";
// a flag error printed Go's way (message, then usage, on stdout) and an
// "Error initializing application" log line on stderr. Unlike check-mail, which
// exits 0 after a configuration error, these exit 2 (the exit code of Go's own
// flag errors) so a caller can tell. The check plugins call report_as_plugin():
// their start-up errors are then a Nagios UNKNOWN (exit 3) on stdout,
// "UNKNOWN: Error initializing application" with the reason under **ERRORS**,
// as check-mail's plugins print them; unlike check-mail they write nothing on
// stderr unless -log-level debug or trace asks (Icinga 2 merges stderr into
// the plugin output).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "mailoauth/cli/go_flags.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::compat {

inline constexpr int kExitBadConfiguration = 2;
inline constexpr int kExitPluginUnknown = 3;

class CheckMailApp {
 public:
  CheckMailApp(std::string tool, std::string argv0);

  cli::GoFlagSet& flags() { return flags_; }
  core::Logger& logger() { return *logger_; }

  // Parses the command line. nullopt: carry on; a value: exit with it (help or
  // version printed, or a flag error reported).
  std::optional<int> parse(int argc, char** argv);

  // For the tool's own validation after parse(): reports Go-style and returns 2
  // (or, for a plugin, prints the UNKNOWN output and returns 3).
  int configuration_error(const std::string& message);

  void report_as_plugin() { plugin_ = true; }
  std::chrono::steady_clock::time_point started() const { return started_; }

  std::string version_line() const;
  std::string help_text() const;

 private:
  std::string tool_;
  cli::GoFlagSet flags_;
  int plugin_error(const std::string& error);

  bool plugin_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool help_ = false;
  bool version_ = false;
  std::string log_level_;
  std::unique_ptr<core::Logger> logger_;
};

}  // namespace mailoauth::compat
