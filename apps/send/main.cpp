// mailoauth-send: the program behind `mailoauth send` and `mailoauth sendmail`
// (`mailoauth` execs it, so the token commands never load libssl and GMime,
// which cost milliseconds per start), and /usr/sbin/sendmail when linked
// under that name. This file is the command line only: CLI11 for `send`,
// sendmail(8)'s own option rules for sendmail mode, which CLI11 cannot parse
// (-oi, -fsender, options in any order before the recipients).
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/process_hardening.hpp"

#include "../common/global_options.hpp"
#include "compose.hpp"
#include "send_command.hpp"

namespace {

using namespace mailoauth;

constexpr std::string_view kSendFooter = R"(
Examples:
  mailoauth send --account work --to boss@example.com --subject "Report" \
      --body-file report.txt --attach report.pdf
  mailoauth send --account work --raw message.eml            # recipients from To/Cc/Bcc
  mailoauth send --account work --transport auto --to ...    # SMTP, Graph if SMTP AUTH is off
  mailoauth -v send ...                                      # the SMTP dialogue, secrets redacted

The account fills in the server (Microsoft: smtp.office365.com:587 STARTTLS;
Google: smtp.gmail.com:465), the mailbox and the token. Without an account,
--server, --user and --password-file send with PLAIN/LOGIN.
Prints "sent <message-id> ... via smtp HOST:PORT (...): 250 ..." on success.
By Graph, a message over ~3 MB goes as a draft with its attachments uploaded
(needs Mail.ReadWrite besides Mail.Send), up to the account's
graph_max_message_size (35 MB by default).
Exit codes: 0 sent to every recipient, 69 refused (for some recipients: the
others got it), 75 temporary (try again), 78 configuration, 64 usage. A message
that could not be sent is kept in $XDG_STATE_HOME/mailoauth/failed/; when even
that fails, the command says so and exits 73 (not sent, not kept). Inputs
larger than MAILOAUTH_MAX_MESSAGE_SIZE (default 150M) are refused.
Guide: docs/sending.md.)";

int run_send(int argc, char** argv) {
  CLI::App cli{"mailoauth send - send a message with OAuth2 (SMTP or Microsoft Graph)",
               "mailoauth"};
  app::GlobalOptions global;
  app::add_global_options(cli, global, "show the SMTP dialogue (secrets redacted)");
  cli.require_subcommand(1);

  send::SendOptions options;
  std::string body;
  auto* command = cli.add_subcommand("send", "send one message");
  command->add_option("-a,--account", options.account,
                      "account (default: the one whose mailbox is --from, else default_account)");
  command->add_option("--from", options.from, "From (default: the account's mailbox)");
  command->add_option("--to", options.to, "recipient(s); repeat or separate with commas");
  command->add_option("--cc", options.cc, "Cc recipient(s)");
  command->add_option("--bcc", options.bcc, "Bcc recipient(s): in the envelope only");
  command->add_option("--reply-to", options.reply_to, "Reply-To address(es)");
  command->add_option("-s,--subject", options.subject, "subject (UTF-8)");
  auto* body_option = command->add_option("--body", body, "text body");
  command->add_option("--body-file", options.body_file, "text body from a file (- for stdin)");
  command->add_option("--html-file", options.html_file, "HTML body from a file");
  command->add_option("--attach", options.attachments, "attach a file (repeatable)");
  command->add_option("--raw", options.raw,
                      "send a ready RFC 5322 message from a file (- for stdin) as it is");
  command->add_option("--envelope-from", options.envelope_from, "MAIL FROM (default: From)");
  command->add_flag("-n,--dry-run", options.dry_run,
                    "print the envelope and the message; connect to nothing");
  send::ServerOptions& server = options.server;
  command->add_option("--transport", server.transport,
                      "smtp (default), graph, or auto (SMTP, then Graph if SMTP AUTH is refused)");
  command->add_option("--server", server.server, "SMTP server (default: the provider's)");
  command->add_option("--port", server.port, "SMTP port (default: the provider's, else 587)");
  command->add_option("--tls", server.tls,
                      "implicit (465), starttls (587, 25) or none (default: by port)");
  command->add_option("--ca-file", server.ca_file, "trust this CA (PEM) for the server");
  command->add_flag("--insecure", server.insecure,
                    "do NOT verify the server's certificate (tests only; logged loudly)");
  command->add_flag("--allow-plaintext-auth", server.allow_plaintext_auth,
                    "allow AUTH without TLS (a local test server only)");
  command->add_option("--auth-mechanism", server.auth_mechanism,
                      "xoauth2, oauthbearer (default: the account's, else xoauth2 then "
                      "oauthbearer), plain, login");
  command->add_option("--user", server.user, "SASL user (default: the account's mailbox)");
  command->add_option("--password-file", server.password_file,
                      "a password for PLAIN/LOGIN (servers that still take one)");
  command->add_option("--helo", server.helo, "EHLO name (default: this host's name)");
  command->add_option("--graph-url", server.graph_url,
                      "Graph base URL (default: the account's cloud's Graph host)");
  command->add_option("--timeout", server.timeout_seconds,
                      "seconds for connecting and each command (default 30/120)");
  command->footer(std::string(kSendFooter));
  if (const auto finished = app::parse_command_line(cli, argc, argv)) return *finished;
  // A message to build: GMime's program, before anything is read (compose.hpp).
  if (options.raw.empty() && !send::can_compose()) return send::run_composer(argv);
  if (*body_option) options.body = body;
  return send::send_command(global, options);
}

}  // namespace

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* slash = std::strrchr(argv[0], '/');
  const std::string_view program = slash != nullptr ? slash + 1 : argv[0];
  app::GlobalOptions global;
  if (program == "sendmail" || program == "mailoauth-sendmail") {
    return send::sendmail_command(global, args);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "sendmail") {
      return send::sendmail_command(
          global, std::vector<std::string>(args.begin() + static_cast<long>(i) + 1, args.end()));
    }
    if (args[i] == "send" || !app::take_global_option(args, i, global)) break;
  }
  return run_send(argc, argv);
}
