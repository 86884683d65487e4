// The shared start-up of the check-mail drop-ins.
#include "mailoauth/compat/check_mail_app.hpp"

#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "mailoauth/compat/mailbox_check_output.hpp"
#include "mailoauth/core/version.hpp"
#include "mailoauth/monitor/plugin_output.hpp"

namespace mailoauth::compat {

CheckMailApp::CheckMailApp(std::string tool, std::string argv0)
    : tool_(std::move(tool)),
      flags_(std::move(argv0)),
      logger_(std::make_unique<core::Logger>(core::LogLevel::Info)) {
  flags_.add_bool("h", &help_, false, "Emit this help text (shorthand)");
  flags_.add_bool("help", &help_, false, "Emit this help text");
  flags_.add_bool("version", &version_, false,
                  "Whether to display application version and then immediately exit application.");
  flags_.add_string("log-level", &log_level_, "info",
                    "Sets log level to one of disabled, panic, fatal, error, warn, info, debug or "
                    "trace.");
}

std::string CheckMailApp::version_line() const {
  return fmt::format("{} (mailoauth {}, compatible with check-mail)", tool_, core::version());
}

std::string CheckMailApp::help_text() const {
  return fmt::format("\n{}\n\nUsage of {}:\n{}", version_line(), flags_.program(),
                     flags_.defaults());
}

int CheckMailApp::plugin_error(const std::string& error) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  std::fputs(monitor::render(initialization_error_output(error, elapsed)).c_str(), stdout);
  std::fflush(stdout);
  // check-mail also logs this at error level on stderr; Icinga 2 merges stderr
  // into the plugin output, where the line would follow the perfdata. The
  // reason is on stdout already, so stderr gets it only at -log-level debug.
  if (logger_->enabled(core::LogLevel::Debug)) {
    logger_->debug("Error initializing application", {{"error", error}});
  }
  return kExitPluginUnknown;
}

int CheckMailApp::configuration_error(const std::string& message) {
  if (plugin_) return plugin_error(fmt::format("configuration validation failed: {}", message));
  logger_->error("Error initializing application",
                 {{"error", fmt::format("configuration validation failed: {}", message)}});
  return kExitBadConfiguration;
}

std::optional<int> CheckMailApp::parse(int argc, char** argv) {
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  auto parsed = flags_.parse(arguments);
  if (!parsed && plugin_) {
    // Nagios reads the first line: the UNKNOWN status, not Go's usage text.
    return plugin_error(
        fmt::format("failed to set flags configuration: {}", parsed.error().message()));
  }
  if (!parsed) {
    // Go's ContinueOnError: the message and the usage on the flag set's output (stdout).
    std::fputs(fmt::format("{}\n{}", parsed.error().message(), help_text()).c_str(), stdout);
    std::fflush(stdout);
    logger_->error("Error initializing application",
                   {{"error", fmt::format("failed to set flags configuration: {}",
                                          parsed.error().message())}});
    return kExitBadConfiguration;
  }
  if (version_) {
    std::fputs((version_line() + "\n").c_str(), stdout);
    return 0;
  }
  if (help_) {
    std::fputs((help_text() + "\n").c_str(), stdout);
    return 0;
  }
  auto level = core::parse_log_level(log_level_);
  if (!level) return configuration_error(level.error().message());
  logger_->set_level(*level);
  return std::nullopt;
}

}  // namespace mailoauth::compat
