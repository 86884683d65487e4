// mailoauth-imap: the program behind `mailoauth imap caps|check|list` (exec'd
// by `mailoauth`, like mailoauth-send, so the token commands never load
// libssl). The native interface over the same code as the check-mail
// drop-ins: a mailoauth account gives the server (its imap_* keys, else the
// provider's), the mailbox and the token from the store.
//   caps ACCOUNT [--json]   what the server offers before and after login
//   check ACCOUNT -f F...   the Nagios check (same output as check_imap_mailbox_*)
//   list ACCOUNT            every folder with its message and unseen counts
// This file is the command line; the work is compat::run_mailbox_check,
// compat::inspect_server and imap::SyncClient.
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mailoauth/compat/go_text.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/server_inspection.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/monitor/age_duration.hpp"
#include "mailoauth/monitor/nagios_range.hpp"
#include "mailoauth/oauth2/provider.hpp"

#include "../common/global_options.hpp"
#include "../common/imap_login.hpp"
#include "../mailoauth/app_context.hpp"

namespace {

using namespace mailoauth;
using core::ErrorClass;
using core::Result;

struct Connection {
  std::string account;
  std::string server;
  int port = 0;
  std::string tls;  // implicit, starttls
  std::string ca_file;
  int timeout_seconds = 10;
  bool verbose = false;
};

// The account's IMAP server by the one rule (delivery::server_settings):
// the flags, else the account's imap_* keys, else the provider's.
Result<imap::ClientSettings> settings_for(const oauth2::Account& account,
                                          const Connection& options) {
  auto found = app::imap_server_settings(
      &account, {options.server, options.port, {}, options.ca_file}, options.tls);
  if (!found) return core::fail(std::move(found.error()));
  imap::ClientSettings settings = std::move(*found);
  const std::chrono::milliseconds timeout(std::max(options.timeout_seconds, 1) * 1000);
  settings.connect_timeout = settings.command_timeout = settings.session_timeout = timeout;
  if (options.verbose) {
    settings.trace = [](imap::WireDirection direction, std::string_view line) {
      fmt::print(stderr, "imap {} {}\n",
                 direction == imap::WireDirection::Sent ? "C:" : "S:", line);
    };
  }
  return settings;
}

int report(app::AppContext& context, const core::Error& error) {
  return context.report(error);
}

int caps(const app::GlobalOptions& global, const Connection& options, bool json) {
  app::AppContext context(global);
  auto account = context.account(options.account);
  if (!account) return report(context, account.error());
  auto settings = settings_for(**account, options);
  if (!settings) return report(context, settings.error());
  imap::SyncClient client(*settings);
  if (auto connected = client.connect(); !connected) return report(context, connected.error());
  const compat::ServerInspection inspection = compat::inspection_of(client, *settings);
  if (auto logged_in = app::imap_authenticate(context, **account, client, *settings); !logged_in) {
    return report(context, logged_in.error().context("logging in"));
  }
  auto capabilities = client.capability();
  if (!capabilities) return report(context, capabilities.error());
  (void)client.logout();
  if (json) {
    std::string text = compat::inspection_json(inspection);
    // The inspection's object, with the capabilities after login added.
    std::string sorted;
    for (const std::string& name : capabilities->sorted()) {
      sorted += fmt::format("{}{}", sorted.empty() ? "" : ",", compat::go_json_string(name));
    }
    const std::size_t end = text.rfind('}');
    text = text.substr(0, end) + fmt::format(",\"capabilities_after_login\":[{}]}}\n", sorted);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return core::kExitOk;
  }
  fmt::print("server {}:{} ({})\n", inspection.server, inspection.port,
             inspection.starttls ? "STARTTLS" : "implicit TLS");
  if (inspection.tls) {
    fmt::print("tls: {} {}, certificate {}\n", inspection.tls->protocol, inspection.tls->cipher,
               inspection.tls->subject);
  }
  fmt::print("before login: {}\n", fmt::join(inspection.capabilities.sorted(), " "));
  fmt::print("auth mechanisms: {}{}\n", fmt::join(inspection.capabilities.auth_mechanisms(), " "),
             inspection.capabilities.login_disabled() ? " (LOGIN disabled)" : "");
  fmt::print("after login as {}: {}\n", (*account)->user(), fmt::join(capabilities->sorted(), " "));
  return core::kExitOk;
}

int list(const app::GlobalOptions& global, const Connection& options) {
  app::AppContext context(global);
  auto account = context.account(options.account);
  if (!account) return report(context, account.error());
  auto settings = settings_for(**account, options);
  if (!settings) return report(context, settings.error());
  imap::SyncClient client(*settings);
  if (auto connected = client.connect(); !connected) return report(context, connected.error());
  if (auto logged_in = app::imap_authenticate(context, **account, client, *settings); !logged_in) {
    return report(context, logged_in.error().context("logging in"));
  }
  auto folders = client.list("", "*");
  if (!folders) return report(context, folders.error());
  fmt::print("{:>9} {:>9}  {}\n", "messages", "unseen", "folder");
  for (const imap::ListEntry& folder : *folders) {
    if (folder.has_flag("\\Noselect") || folder.has_flag("\\NonExistent")) {
      fmt::print("{:>9} {:>9}  {}\n", "-", "-", folder.name);
      continue;
    }
    auto status = client.status(folder.name_as_sent);
    if (!status) return report(context, status.error());
    fmt::print("{:>9} {:>9}  {}\n", status->messages.value_or(0), status->unseen.value_or(0),
               folder.name);
  }
  (void)client.logout();
  return core::kExitOk;
}

struct CheckOptions {
  std::vector<std::string> folders{"INBOX"};
  std::string warning, critical, age_warning, age_critical;
  bool unseen = false, perfdata = false;
  std::size_t sample = 0;
};

int check(const app::GlobalOptions& global, const Connection& options, const CheckOptions& check) {
  const auto started = std::chrono::steady_clock::now();
  app::AppContext context(global);
  // Bad usage is UNKNOWN (3) for a Nagios check, with the reason on the first line.
  auto unknown = [](const core::Error& error) {
    fmt::print("UNKNOWN: {}\n", error.describe());
    return 3;
  };
  auto account = context.account(options.account);
  if (!account) return unknown(account.error());
  auto settings = settings_for(**account, options);
  if (!settings) return unknown(settings.error());
  compat::MailboxCheckRequest request;
  request.settings = std::move(*settings);
  request.mailbox = (*account)->user();
  request.folders = check.folders;
  request.unseen_only = check.unseen;
  request.options.folder_perfdata = check.perfdata;
  request.options.sample_limit = check.sample;
  for (const auto& [text, target, what] :
       {std::tuple{&check.warning, &request.options.warning, "--warning"},
        std::tuple{&check.critical, &request.options.critical, "--critical"}}) {
    if (text->empty()) continue;
    auto range = monitor::Range::parse(*text, what);
    if (!range) return unknown(range.error());
    *target = *range;
  }
  for (const auto& [text, target, what] :
       {std::tuple{&check.age_warning, &request.options.age_warning, "--age-warning"},
        std::tuple{&check.age_critical, &request.options.age_critical, "--age-critical"}}) {
    if (text->empty()) continue;
    auto age = monitor::parse_age_duration(*text, what);
    if (!age) return unknown(age.error());
    *target = *age;
  }
  const oauth2::Account& chosen = **account;
  const imap::ClientSettings& connection = request.settings;
  request.authenticate = [&context, &chosen, &connection](imap::SyncClient& client) {
    return app::imap_authenticate(context, chosen, client, connection);
  };
  return compat::check_and_print(request, "", started);
}

}  // namespace

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  CLI::App cli{"mailoauth imap - look at a mailbox with a mailoauth account's token", "mailoauth"};
  app::GlobalOptions global;
  app::add_global_options(cli, global, "show the IMAP dialogue (secrets redacted)");
  cli.require_subcommand(1);
  auto* imap_command = cli.add_subcommand("imap", "IMAP with an account's token");
  imap_command->require_subcommand(1);
  imap_command->footer(
      "\nThe server is the account's imap_server/imap_port/imap_tls, else the provider's\n"
      "(outlook.office365.com:993, imap.gmail.com:993). Guide: docs/monitoring.md.");

  Connection connection;
  auto add_connection = [&connection](CLI::App* command) {
    command->add_option("account", connection.account, "the mailoauth account")->required();
    command->add_option("--server", connection.server, "IMAP server (default: the account's)");
    command->add_option("--port", connection.port, "port (default: the account's, else 993)");
    command->add_option("--tls", connection.tls, "implicit (993) or starttls (143)");
    command->add_option("--ca-file", connection.ca_file, "trust this CA (PEM) for the server");
    command->add_option("-t,--timeout", connection.timeout_seconds,
                        "seconds for the whole session (default 10)");
  };
  bool json = false;
  auto* caps_command =
      imap_command->add_subcommand("caps", "capabilities before and after login, TLS facts");
  add_connection(caps_command);
  caps_command->add_flag("--json", json, "one JSON object on stdout");
  std::function<int()> run;  // the command given, run after the parse
  caps_command->callback([&] { run = [&] { return caps(global, connection, json); }; });

  CheckOptions check_options;
  auto* check_command = imap_command->add_subcommand(
      "check",
      "a Nagios check of the account's folders (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 "
      "UNKNOWN)");
  add_connection(check_command);
  check_command->add_option("-f,--folders", check_options.folders, "folders (default INBOX)")
      ->delimiter(',');
  check_command->add_option("-w,--warning", check_options.warning,
                            "Nagios range on the total count (10, 10:, ~:10, @10:20); default: "
                            "any message is WARNING");
  check_command->add_option("-c,--critical", check_options.critical, "Nagios range, CRITICAL");
  check_command->add_option("--age-warning", check_options.age_warning,
                            "WARNING when the oldest message is older (30m, 2h, 1d)");
  check_command->add_option("--age-critical", check_options.age_critical, "CRITICAL likewise");
  check_command->add_flag("--unseen", check_options.unseen, "count unseen messages only");
  check_command->add_flag("--perfdata", check_options.perfdata, "perfdata per folder");
  check_command->add_option("--sample", check_options.sample,
                            "list up to N messages found in the long output");
  check_command->callback([&] { run = [&] { return check(global, connection, check_options); }; });

  auto* list_command =
      imap_command->add_subcommand("list", "every folder with its message and unseen counts");
  add_connection(list_command);
  list_command->callback([&] { run = [&] { return list(global, connection); }; });
  const auto report = [check_command](const CLI::App& command, const std::string& message) {
    if (&command != check_command) return app::report_usage_error(command, message);
    // A Nagios check: bad usage is UNKNOWN (3), the reason on the first line.
    fmt::print("UNKNOWN: {} (run `mailoauth imap check --help`)\n", message);
    return 3;
  };
  if (const auto finished = app::parse_command_line(cli, argc, argv, report)) return *finished;
  // The IMAP wire trace: -v, or --log-level trace (issue 11: trace alone showed nothing).
  connection.verbose =
      global.verbose || core::parse_log_level(global.log_level) == core::LogLevel::Trace;
  return run ? run() : core::kExitUsage;
}
