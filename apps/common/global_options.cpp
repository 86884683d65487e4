// The shared command line of mailoauth, mailoauth-send and mailoauth-imap
// (global_options.hpp). The usage errors are worked out from CLI11's state
// after a failed parse: the deepest command it recognised, the words it could
// not place (App::remaining), the names of that command's subcommands and
// options. So a new subcommand or option is known here the moment it is
// added, and `mailoauth account add work` without --provider says that
// --provider is missing instead of calling "work" unknown.
#include "global_options.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/version.hpp"

namespace mailoauth::app {
namespace {

constexpr std::string_view kValueOptions[] = {"--config", "--state-dir", "--log-level"};

// "mailoauth token get": the names from the root down to `command`.
std::string command_path(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* app = &command; app != nullptr; app = app->get_parent()) {
    names.push_back(app->get_name());
  }
  std::reverse(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, " "));
}

// The last command CLI11 recognised on the command line.
CLI::App& deepest_command(CLI::App& cli) {
  CLI::App* command = &cli;
  while (!command->get_subcommands().empty()) command = command->get_subcommands().back();
  return *command;
}

std::vector<std::string> subcommand_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// "--scope", "-s": every spelling of every option of `command`.
std::vector<std::string> option_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    for (const std::string& name : option->get_snames()) names.push_back("-" + name);
  }
  return names;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean --scope?)" when a candidate is close: at most two edits, or
// one name the start of the other (--scopes, --client-secret). Names of fewer
// than four characters are too short to guess from.
std::string suggestion(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string_view bare = word.substr(0, word.find('='));
  std::vector<std::string> close;
  for (const std::string& candidate : candidates) {
    if (std::min(bare.size(), candidate.size()) < 4) continue;
    const bool prefix = candidate.starts_with(bare) || bare.starts_with(candidate);
    if ((prefix || edit_distance(bare, candidate) <= 2) &&
        std::find(close.begin(), close.end(), candidate) == close.end()) {
      close.push_back(candidate);
    }
  }
  if (close.empty()) return "";
  return fmt::format(" (did you mean {}?)", fmt::join(close, " or "));
}

// The first word CLI11 could not place, if any.
std::optional<std::string> first_unplaced_word(CLI::App& cli, CLI::App& deepest) {
  std::vector<std::string> words = deepest.remaining();
  if (words.empty()) words = cli.remaining(true);
  if (words.empty()) return std::nullopt;
  return words.front();
}

std::string unknown_option_message(const CLI::App& command, const std::string& word) {
  const std::string bare = word.substr(0, word.find('='));
  for (const CLI::App* above = command.get_parent(); above != nullptr;
       above = above->get_parent()) {
    const std::vector<std::string> names = option_names(*above);
    if (std::find(names.begin(), names.end(), bare) != names.end()) {
      return fmt::format("{}: {} is an option of `{}`: give it before the command",
                         command_path(command), bare, command_path(*above));
    }
  }
  return fmt::format("{}: unknown option \"{}\"{}", command_path(command), word,
                     suggestion(word, option_names(command)));
}

std::string unplaced_word_message(const CLI::App& command, const std::string& word) {
  if (word.starts_with("-")) return unknown_option_message(command, word);
  const std::vector<std::string> commands = subcommand_names(command);
  if (commands.empty()) {
    return fmt::format("{}: unexpected argument \"{}\"", command_path(command), word);
  }
  return fmt::format("{}: unknown command \"{}\"{}; the commands are {}", command_path(command),
                     word, suggestion(word, commands), fmt::join(commands, ", "));
}

// A usage error, explained: the unplaced word, else a missing command, else
// CLI11's own sentence (which names the missing or malformed option).
int explain(CLI::App& cli, const CLI::Error& error, const UsageReporter& report) {
  CLI::App& command = deepest_command(cli);
  if (const auto word = first_unplaced_word(cli, command)) {
    return report(command, unplaced_word_message(command, *word));
  }
  if (command.get_require_subcommand_min() > 0 && command.get_subcommands().empty()) {
    return report(command, fmt::format("{}: a command is needed: {}", command_path(command),
                                       fmt::join(subcommand_names(command), ", ")));
  }
  return report(command, fmt::format("{}: {}", command_path(command), error.what()));
}

}  // namespace

void add_global_options(CLI::App& cli, GlobalOptions& global, std::string_view verbose_help) {
  cli.set_version_flag("-V,--version", fmt::format("mailoauth {}", core::version()));
  cli.add_option("--config", global.config_file,
                 "accounts file (default: $MAILOAUTH_CONFIG, $XDG_CONFIG_HOME/mailoauth/"
                 "config.toml)");
  cli.add_option("--state-dir", global.state_dir,
                 "token store directory (default: $MAILOAUTH_STATE_DIR, "
                 "$XDG_STATE_HOME/mailoauth)");
  cli.add_option("--log-level", global.log_level,
                 "disabled, error, warn (default), info, debug, trace (HTTP, secrets redacted)");
  cli.add_flag("-v,--verbose", global.verbose, std::string(verbose_help));
}

bool take_global_option(const std::vector<std::string>& args, std::size_t& i,
                        GlobalOptions& global) {
  const std::string& word = args[i];
  if (word == "-v" || word == "--verbose") {
    global.verbose = true;
    return true;
  }
  std::string* targets[] = {&global.config_file, &global.state_dir, &global.log_level};
  for (std::size_t k = 0; k < std::size(kValueOptions); ++k) {
    const std::string_view name = kValueOptions[k];
    if (word == name && i + 1 < args.size()) {
      *targets[k] = args[++i];
      return true;
    }
    if (word.size() > name.size() && word.starts_with(name) && word[name.size()] == '=') {
      *targets[k] = word.substr(name.size() + 1);
      return true;
    }
  }
  return false;
}

int report_usage_error(const CLI::App& command, const std::string& message) {
  fmt::print(stderr, "{}\nRun `{} --help`.\n", message, command_path(command));
  return core::kExitUsage;
}

std::optional<int> parse_command_line(CLI::App& cli, int argc, char** argv,
                                      const UsageReporter& report) {
  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    // `mailoauth frobnicate --help` must not answer with the top-level help.
    CLI::App& command = deepest_command(cli);
    if (const auto word = first_unplaced_word(cli, command)) {
      return report(command, unplaced_word_message(command, *word));
    }
    return cli.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return cli.exit(help);
  } catch (const CLI::Success& success) {
    return cli.exit(success);
  } catch (const CLI::ParseError& error) {
    return explain(cli, error, report);
  }
  return std::nullopt;
}

}  // namespace mailoauth::app
