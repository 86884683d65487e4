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
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mailoauth/compat/go_text.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/server_inspection.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/version.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/monitor/age_duration.hpp"
#include "mailoauth/monitor/nagios_range.hpp"
#include "mailoauth/oauth2/provider.hpp"

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

// The account's IMAP server: imap_* keys, else the provider's (993, TLS).
Result<imap::ClientSettings> settings_for(const oauth2::Account& account,
                                          const Connection& options) {
  imap::ClientSettings settings;
  const oauth2::MailServers preset = oauth2::mail_servers(account.provider);
  settings.host = !options.server.empty()        ? options.server
                  : !account.imap_server.empty() ? account.imap_server
                                                 : preset.imap_host;
  if (settings.host.empty()) {
    return core::fail(ErrorClass::Config, "imap.no_server",
                      fmt::format("account {} has no IMAP server", account.name),
                      "set imap_server (and imap_port, imap_tls) in the account, or give --server");
  }
  const int port = options.port != 0        ? options.port
                   : account.imap_port != 0 ? account.imap_port
                   : preset.imap_port != 0  ? preset.imap_port
                                            : 993;
  settings.port = static_cast<std::uint16_t>(port);
  const std::string tls = !options.tls.empty()        ? options.tls
                          : !account.imap_tls.empty() ? account.imap_tls
                          : port == 143               ? "starttls"
                                                      : "implicit";
  if (tls == "starttls") {
    settings.tls_mode = imap::TlsMode::StartTls;
  } else if (tls != "implicit") {
    return core::fail(ErrorClass::Config, "imap.bad_tls",
                      fmt::format("IMAP TLS mode \"{}\" is not supported", tls),
                      "use implicit (993) or starttls (143); IMAP without TLS is refused");
  }
  settings.tls.ca_file = !options.ca_file.empty() ? options.ca_file : account.ca_file;
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

// AUTHENTICATE with the account's token: its first bearer mechanism the
// server offers (XOAUTH2, else OAUTHBEARER).
Result<void> authenticate(app::AppContext& context, const oauth2::Account& account,
                          imap::SyncClient& client, const imap::ClientSettings& settings) {
  auto engine = context.engine(account);
  if (!engine) return core::fail(engine.error());
  auto tokens = (*engine)->access_token(account);
  if (!tokens) return core::fail(tokens.error());
  sasl::Mechanism mechanism = sasl::Mechanism::XOAuth2;
  std::vector<std::string> wanted = account.auth_mechanisms;
  if (wanted.empty()) wanted = {"XOAUTH2", "OAUTHBEARER"};
  for (const std::string& name : wanted) {
    auto parsed = sasl::parse_mechanism(name);
    if (parsed && client.capabilities().offers_mechanism(name)) {
      mechanism = *parsed;
      break;
    }
  }
  sasl::ClientCredentials credentials;
  credentials.user = account.user();
  credentials.secret = std::move(tokens->access_token);
  credentials.host = settings.host;
  credentials.port = settings.port;
  return client.authenticate(mechanism, std::move(credentials));
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
  if (auto logged_in = authenticate(context, **account, client, *settings); !logged_in) {
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
  if (auto logged_in = authenticate(context, **account, client, *settings); !logged_in) {
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
    return authenticate(context, chosen, client, connection);
  };
  return compat::check_and_print(request, "", started);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"mailoauth imap - look at a mailbox with a mailoauth account's token", "mailoauth"};
  cli.set_version_flag("-V,--version", fmt::format("mailoauth {}", core::version()));
  app::GlobalOptions global;
  cli.add_option("--config", global.config_file, "accounts file");
  cli.add_option("--state-dir", global.state_dir, "token store directory");
  cli.add_option("--log-level", global.log_level,
                 "disabled, error, warn (default), info, debug, trace (trace: as -v too)");
  cli.add_flag("-v,--verbose", global.verbose, "show the IMAP dialogue (secrets redacted)");
  // The IMAP wire trace: -v, or --log-level trace (issue 11: trace alone showed nothing).
  const auto wire_trace = [&global] {
    return global.verbose || core::parse_log_level(global.log_level) == core::LogLevel::Trace;
  };
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
  caps_command->callback([&] {
    connection.verbose = wire_trace();
    std::exit(caps(global, connection, json));
  });

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
  check_command->callback([&] {
    connection.verbose = wire_trace();
    std::exit(check(global, connection, check_options));
  });

  auto* list_command =
      imap_command->add_subcommand("list", "every folder with its message and unseen counts");
  add_connection(list_command);
  list_command->callback([&] {
    connection.verbose = wire_trace();
    std::exit(list(global, connection));
  });
  try {
    cli.parse(argc, argv);
  } catch (const CLI::Success& success) {
    return cli.exit(success);
  } catch (const CLI::ParseError& error) {
    if (check_command->parsed()) {  // a Nagios check: bad usage is UNKNOWN
      fmt::print("UNKNOWN: {} (run `mailoauth imap check --help`)\n", error.what());
      return 3;
    }
    fmt::print(stderr, "mailoauth: {}\nRun `mailoauth imap --help`.\n", error.what());
    return core::kExitUsage;
  }
  return core::kExitOk;
}
