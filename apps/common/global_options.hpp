// The command line that mailoauth, mailoauth-send and mailoauth-imap share:
// the global options (--config, --state-dir, --log-level, -v, -V), and one
// way to end a parse, so the three programs answer a wrong invocation alike:
// the unknown word named (found by walking CLI11's own command tree, never a
// hand-kept list of names), a close spelling suggested, a missing option
// named with the command it belongs to, exit 64. CLI11 is heavy to compile,
// so this header only forward-declares it; global_options.cpp includes it.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace mailoauth::app {

struct GlobalOptions {
  std::string config_file;  // empty: default_config_path()
  std::string state_dir;    // empty: default_state_directory()
  std::string log_level = "warn";
  bool verbose = false;  // -v: debug level, HTTP trace with secrets redacted
};

// Adds the global options and -V/--version to a program's top-level App;
// `verbose_help` says what -v shows in that program.
void add_global_options(CLI::App& cli, GlobalOptions& global, std::string_view verbose_help);

// If args[i] is a global option (with its value in args[i + 1] or after
// "="), stores it in `global`, leaves i on its last word and returns true.
// For the words before a command that CLI11 does not parse (sendmail mode).
bool take_global_option(const std::vector<std::string>& args, std::size_t& i,
                        GlobalOptions& global);

// Says what was wrong with the command line. `command` is the deepest command
// that was recognised ("mailoauth token get"); `message` a sentence naming the
// word or option. Returns the exit code.
using UsageReporter = std::function<int(const CLI::App& command, const std::string& message)>;

// Prints "mailoauth: <message>" and "Run `<command> --help`." to stderr; 64.
int report_usage_error(const CLI::App& command, const std::string& message);

// Parses argv. Returns an exit code when the run ends here: help or version
// printed (0), or a usage error reported through `report` (64 by default);
// std::nullopt when a command was selected and should run.
std::optional<int> parse_command_line(CLI::App& cli, int argc, char** argv,
                                      const UsageReporter& report = report_usage_error);

}  // namespace mailoauth::app
