// mailoauth-doctor: the program behind `mailoauth doctor ACCOUNT` (exec'd by
// `mailoauth`, like mailoauth-imap, so the token commands never load libssl).
// It walks the path from the account to the mailbox in order —
// configuration, DNS, TCP, TLS, greeting, token, authentication, mailbox —
// stops at the first fault, and prints what each step checked and found,
// and for the fault its cause and the admin's next step (docs/doctor.md).
// This file is the command line; the steps are in walk.hpp's files, the
// report and its renderings in src/mailoauth/doctor/.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/process_hardening.hpp"

#include "../common/global_options.hpp"
#include "walk.hpp"

namespace {

using namespace mailoauth;

constexpr std::string_view kFooter = R"(
Steps, in order (the walk stops at the first fault):
  1 configuration  the account, its files and their modes, client secret expiry
  2 dns            the server's name (and a Microsoft tenant's domain)
  3 tcp            refused, timed out (a firewall) or unreachable
  4 tls            version, cipher, certificate chain and name, expiry; STARTTLS
  5 greeting       SMTP EHLO / IMAP CAPABILITY: XOAUTH2 or OAUTHBEARER offered
  6 token          obtained, and its claims (aud, scp/roles, tid, expiry) fit
  7 authentication AUTH / AUTHENTICATE with it (Graph: no 401)
  8 mailbox        SMTP MAIL+RCPT+RSET, IMAP EXAMINE INBOX, Graph sendMail
                   without a recipient (400 ErrorInvalidRecipients): nothing sent
Nothing is sent unless --send-test is given. The token is never printed.
Exit codes: 0 every step passed (warnings allowed); otherwise the failed
step's class: 75 temporary (network, server), 69 refused, 78 configuration.
Guide: docs/doctor.md.)";

int run(const app::GlobalOptions& global, doctor_app::DoctorOptions options) {
  app::AppContext context(global);
  doctor_app::Walk walk(context, options);
  walk.report.account = options.account;
  walk.report.protocol = options.protocol;
  walk.report.steps = doctor::planned_steps(options.protocol, !options.send_test.empty());
  if (doctor_app::check_configuration(walk)) {
    if (options.protocol == "imap") {
      doctor_app::walk_imap(walk);
    } else if (options.protocol == "graph") {
      doctor_app::walk_graph(walk);
    } else {
      doctor_app::walk_smtp(walk);
    }
  }
  const std::string text =
      options.json ? doctor::render_json(walk.report) : doctor::render_text(walk.report);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return doctor::exit_code(walk.report);
}

}  // namespace

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  CLI::App cli{"mailoauth doctor - walk the path to a mailbox and name the first fault",
               "mailoauth"};
  app::GlobalOptions global;
  app::add_global_options(cli, global, "show the SMTP/IMAP dialogue (secrets redacted)");
  cli.require_subcommand(1);
  doctor_app::DoctorOptions options;
  auto* doctor_command =
      cli.add_subcommand("doctor", "check an account's whole path to its mailbox, step by step");
  doctor_command->footer(std::string(kFooter));
  doctor_command->add_option("account", options.account, "the mailoauth account")->required();
  bool smtp = false, imap = false, graph = false;
  auto* smtp_flag = doctor_command->add_flag("--smtp", smtp, "the SMTP path (the default)");
  auto* imap_flag = doctor_command->add_flag("--imap", imap, "the IMAP path");
  auto* graph_flag =
      doctor_command->add_flag("--graph", graph, "the Microsoft Graph path (graph_url)");
  smtp_flag->excludes(imap_flag)->excludes(graph_flag);
  imap_flag->excludes(graph_flag);
  auto* server_option = doctor_command->add_option(
      "--server", options.server, "mail server (default: the account's, else the provider's)");
  auto* port_option = doctor_command->add_option("--port", options.port,
                                                 "port (default: the account's, else by TLS mode)");
  doctor_command->add_option("--tls", options.tls, "implicit or starttls (default: by port)");
  doctor_command->add_option("--ca-file", options.ca_file, "trust this CA (PEM) for the server");
  doctor_command->add_flag("--json", options.json, "one JSON object with the steps on stdout");
  doctor_command->add_option("--send-test", options.send_test,
                             "also send one test message to this address (SMTP, Graph)");
  doctor_command->add_option("--rcpt", options.recipient,
                             "the recipient of the SMTP RCPT probe (default: the mailbox itself)");
  doctor_command->add_option("-t,--timeout", options.timeout_seconds,
                             "seconds each step may take (default 10)");
  graph_flag->excludes(server_option)->excludes(port_option);
  bool run_it = false;
  doctor_command->callback([&run_it] { run_it = true; });
  if (const auto finished = app::parse_command_line(cli, argc, argv)) return *finished;
  if (!run_it) return core::kExitUsage;
  options.protocol = imap ? "imap" : graph ? "graph" : "smtp";
  if (options.protocol == "imap" && !options.send_test.empty()) {
    return app::report_usage_error(*doctor_command,
                                   "--send-test sends mail: use it with --smtp or --graph");
  }
  if (!options.tls.empty() && options.tls != "implicit" && options.tls != "starttls") {
    return app::report_usage_error(*doctor_command, "--tls takes implicit or starttls");
  }
  options.verbose =
      global.verbose || core::parse_log_level(global.log_level) == core::LogLevel::Trace;
  return run(global, std::move(options));
}
