// mailoauth-cli, which the `mailoauth` launcher (launcher.cpp) runs for the
// account and token commands: one binary with subcommands (send, imap and
// relay are programs of their own). This file is the command line and
// nothing else: CLI11 parses, the functions of commands.hpp work. A callback
// only chooses the command; main runs it after the parse and returns its exit
// code. Usage errors exit 64 (EX_USAGE), explained by parse_command_line
// (apps/common/global_options.hpp).
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/oauth2/provider.hpp"

#include "../common/global_options.hpp"
#include "commands.hpp"
#include "launch.hpp"

namespace {

using namespace mailoauth;

constexpr std::string_view kDescription =
    R"(mailoauth - OAuth2 for e-mail (SMTP, IMAP, Microsoft Graph)

Gets and keeps OAuth2 tokens for Microsoft 365, Gmail and any OAuth2 server, for
msmtp, mbsync, mutt, scripts and mailoauth's own tools. Accounts live in
$XDG_CONFIG_HOME/mailoauth/config.toml; tokens are sealed in
$XDG_STATE_HOME/mailoauth/tokens.db. Guide: docs/tokens.md.

Start here:
  mailoauth account add work --provider microsoft --tenant contoso.com \
      --client-id 0000... --preset mail --login-hint me@contoso.com
  mailoauth token login work          # once, in a browser (or --device)
  mailoauth token get work            # whenever a token is needed
  mailoauth send --account work --to someone@example.com --subject hi --body hello

Sending (a program of its own, mailoauth-send; see `mailoauth send --help`):
  send       build or take a message and send it by SMTP or Microsoft Graph
  sendmail   sendmail(8)-compatible: the message on stdin (-t, -f, -i, -oi)
Mailboxes (mailoauth-imap; see `mailoauth imap --help`):
  imap caps|check|list ACCOUNT   capabilities, a Nagios check, folder counts
Relay (mailoauth-relay; see `mailoauth relay --help`, docs/relay.md):
  relay run|check-config|user    plain SMTP in, spooled durably, delivered with OAuth2
  queue list|show|retry|hold|release|delete|flush   the relay's queue (docs/queue.md)
Diagnosis (mailoauth-doctor; see `mailoauth doctor --help`, docs/doctor.md):
  doctor ACCOUNT [--smtp|--imap|--graph]   walk the path to the mailbox, name the first fault
Nagios/Icinga checks (the plugins check_oauth_token, check_mail_roundtrip; docs/monitoring.md):
  check token ACCOUNT       token health, client secret and certificate expiry
  check roundtrip ACCOUNT   send a probe, read it back over IMAP, the delay

Errors (docs/errors.md):
  explain TEXT   what a server's refusal means and what to do: paste an SMTP reply,
                 an IMAP response, an AADSTS number, an OAuth or Graph error code

Exit codes: 0 ok, 64 usage, 69 refused for good, 70 internal error,
75 temporary failure (try again), 78 configuration (fix and retry).)";

constexpr std::string_view kAddFooter = R"(
Flows: delegated (a person signs in once; refresh tokens after), app (client
credentials: app-only, Microsoft), service-account (Google Workspace), password
(LEGACY: fails whenever MFA applies).
Client secrets never go on the command line: use --client-secret-file,
--client-secret-env, or --client-secret-stdin (sealed into the token store).

Presets (provider flow use -> scopes):
)";

// Everything the command line fills in; it outlives the parse, since the
// chosen command runs after it.
struct CommandLine {
  app::GlobalOptions global;
  std::function<int()> run;  // set by the callback of the command given
  app::AccountAddOptions add;
  std::string account_name, secret_expires;
  bool keep_tokens = false;
  app::TokenLoginOptions login;
  app::TokenGetOptions get;
  int min_valid = -1;
  app::TokenStatusOptions status;
  app::TokenInspectOptions inspect;
  app::TokenRevokeOptions revoke;
  app::TokenExportOptions export_options;
  app::TokenImportOptions import_options;
  app::ExplainOptions explain;
};

void add_account_add(CLI::App& account, CommandLine& line) {
  app::AccountAddOptions& add = line.add;
  std::string footer(kAddFooter);
  for (const auto& entry : oauth2::describe_presets()) footer += "  " + entry + "\n";
  auto* account_add = account.add_subcommand("add", "add an account to the configuration");
  account_add->footer(footer);
  account_add->add_option("name", add.name, "account name (letters, digits, . _ -)")->required();
  account_add->add_option("--provider", add.provider, "microsoft, google or generic")->required();
  account_add->add_option("--flow", add.flow,
                          "delegated (default), app, service-account, password");
  account_add->add_option("--tenant", add.tenant,
                          "Microsoft tenant: directory ID or domain (default organizations)");
  account_add->add_option("--cloud", add.cloud,
                          "Microsoft cloud: global (default), usgov, usgov-dod, china");
  account_add->add_option("--client-id", add.client_id, "application (client) ID");
  account_add->add_option("--client-secret-file", add.client_secret_file,
                          "file holding the client secret's Value");
  account_add->add_option("--client-secret-env", add.client_secret_env,
                          "environment variable holding the client secret");
  account_add->add_flag("--client-secret-stdin", add.client_secret_stdin,
                        "read the secret from stdin and seal it in the token store");
  account_add->add_option("--secret-expires", add.secret_expires,
                          "the secret's expiry date (YYYY-MM-DD), for `token status` warnings");
  account_add->add_option("--certificate-file", add.certificate_file,
                          "PEM certificate (app flow, instead of a secret)");
  account_add->add_option("--private-key-file", add.private_key_file,
                          "PEM private key (default: in the certificate file)");
  account_add->add_option("--service-account-file", add.service_account_file,
                          "Google service-account JSON key");
  account_add->add_option("--preset", add.preset, "smtp, imap, pop, mail (default), graph");
  // --scopes too: the configuration's key is `scopes`.
  account_add->add_option("--scope,--scopes", add.scopes,
                          "an explicit scope (repeatable; no --preset)");
  account_add->add_option("--login-hint", add.login_hint, "the user who signs in");
  account_add->add_option("--mailbox", add.mailbox,
                          "the mailbox (SASL user=; app-only: the mailbox acted for)");
  account_add->add_option("--issuer", add.issuer, "generic: issuer URL for OIDC discovery");
  account_add->add_option("--authorize-url", add.authorize_url, "generic: authorization endpoint");
  account_add->add_option("--token-url", add.token_url, "generic: token endpoint");
  account_add->add_option("--device-url", add.device_url, "generic: device endpoint");
  account_add->add_option("--revocation-url", add.revocation_url, "generic: revocation endpoint");
  account_add->add_option("--redirect-uri", line.add.redirect_uri,
                          "registered loopback redirect with a path, e.g. "
                          "http://127.0.0.1/callback (port chosen at sign-in)");
  account_add->callback(
      [&line] { line.run = [&line] { return app::account_add(line.global, line.add); }; });
}

void add_account_commands(CLI::App& cli, CommandLine& line) {
  auto* account = cli.add_subcommand("account", "add, list, show, remove accounts; rotate secrets");
  account->require_subcommand(1);
  add_account_add(*account, line);
  account->add_subcommand("list", "list the configured accounts")->callback([&line] {
    line.run = [&line] { return app::account_list(line.global); };
  });
  auto* account_show = account->add_subcommand("show", "an account's resolved settings");
  account_show->add_option("name", line.account_name, "account")->required();
  account_show->callback([&line] {
    line.run = [&line] { return app::account_show(line.global, line.account_name); };
  });
  auto* account_remove =
      account->add_subcommand("remove", "remove an account and its stored tokens");
  account_remove->add_option("name", line.account_name, "account")->required();
  account_remove->add_flag("--keep-tokens", line.keep_tokens, "leave its tokens in the store");
  account_remove->callback([&line] {
    line.run = [&line] {
      return app::account_remove(line.global, line.account_name, line.keep_tokens);
    };
  });
  auto* account_secret = account->add_subcommand(
      "secret", "store a new client secret read from stdin (the old one stays as previous)");
  account_secret->add_option("name", line.account_name, "account")->required();
  account_secret->add_option("--expires", line.secret_expires, "its expiry date (YYYY-MM-DD)");
  account_secret->callback([&line] {
    line.run = [&line] {
      return app::account_secret(line.global, line.account_name, line.secret_expires);
    };
  });
}

void add_token_login_and_get(CLI::App& token, CommandLine& line) {
  app::TokenLoginOptions& login = line.login;
  auto* token_login = token.add_subcommand("login", "sign in once (browser or device code)");
  token_login->add_option("account", login.account, "account")->required();
  token_login->add_flag("--device", login.device,
                        "device code: show a code to enter on any other device");
  token_login->add_option("--port", login.port,
                          "fixed loopback port for the browser redirect (default: random)");
  token_login->add_flag("--no-browser", login.no_browser,
                        "only print the URL to open (for a server without a browser)");
  token_login->add_option("--timeout", login.timeout_seconds,
                          "seconds to wait for the sign-in (default 300)");
  token_login->footer(
      "\nThe browser sign-in listens on 127.0.0.1 only, with PKCE (S256) and a checked state.\n"
      "Register http://localhost as a redirect URI (Microsoft: \"Mobile and desktop\n"
      "applications\"; it ignores the port). App-only and service accounts need no sign-in:\n"
      "login then just fetches a token to prove the setup.");
  token_login->callback(
      [&line] { line.run = [&line] { return app::token_login(line.global, line.login); }; });

  auto* token_get = token.add_subcommand(
      "get", "print a valid access token (never interactive; for passwordeval/PassCmd)");
  token_get->add_option("account", line.get.account, "account")->required();
  token_get->add_option("--format", line.get.format,
                        "raw (default), json, xoauth2, xoauth2-base64, oauthbearer-base64");
  token_get->add_option("--min-valid", line.min_valid,
                        "seconds the token must stay valid (default: the account's "
                        "refresh_margin, 300)");
  token_get->footer(
      "\nmsmtp:  passwordeval \"mailoauth token get work\"   (auth xoauth2 or oauthbearer)\n"
      "mbsync: PassCmd \"mailoauth token get work\"          (AuthMechs XOAUTH2)\n"
      "mutt:   set imap_oauth_refresh_command=\"mailoauth token get work\"\n"
      "Without a usable token it exits 78 and says which `token login` to run.");
  token_get->callback([&line] {
    line.run = [&line] {
      if (line.min_valid >= 0) line.get.min_valid_seconds = line.min_valid;
      return app::token_get(line.global, line.get);
    };
  });
}

void add_token_status_inspect_revoke(CLI::App& token, CommandLine& line) {
  auto* token_status =
      token.add_subcommand("status", "expiry, refresh-token age, last renewal and last error");
  token_status->add_option("account", line.status.account, "account (default: all)");
  token_status->add_flag("--json", line.status.json, "JSON on stdout");
  token_status->callback(
      [&line] { line.run = [&line] { return app::token_status(line.global, line.status); }; });

  app::TokenInspectOptions& inspect = line.inspect;
  auto* token_inspect = token.add_subcommand(
      "inspect", "decode a token's claims and say what they mean for SMTP/IMAP/Graph");
  token_inspect->add_option("account", inspect.account, "account whose stored token to inspect");
  token_inspect->add_option("--token", inspect.token,
                            "a token to inspect; - reads it from stdin (a token on the command "
                            "line is visible to other users in ps)");
  token_inspect->callback([&line] {
    line.run = [&line] {
      if (line.inspect.account.empty() == line.inspect.token.empty()) {
        fmt::print(stderr, "mailoauth: give an account or --token (- reads it from stdin)\n");
        return core::kExitUsage;
      }
      return app::token_inspect(line.global, line.inspect);
    };
  });

  auto* token_revoke = token.add_subcommand(
      "revoke", "revoke the refresh token at the provider and forget the tokens");
  token_revoke->add_option("account", line.revoke.account, "account")->required();
  token_revoke->add_flag("--keep-local", line.revoke.keep_local,
                         "revoke at the provider but keep the local copy");
  token_revoke->callback(
      [&line] { line.run = [&line] { return app::token_revoke(line.global, line.revoke); }; });
}

void add_token_transfer(CLI::App& token, CommandLine& line) {
  app::TokenExportOptions& export_options = line.export_options;
  auto* token_export = token.add_subcommand(
      "export", "write stored tokens and secrets to a passphrase-encrypted file");
  token_export->add_option("accounts", export_options.accounts, "accounts (default: all)");
  token_export->add_option("--file", export_options.file, "the file to write (0600)")->required();
  token_export->add_option("--passphrase-file", export_options.passphrase_file,
                           "read the passphrase from this file (else "
                           "MAILOAUTH_EXPORT_PASSPHRASE, else asked)");
  token_export->callback([&line] {
    line.run = [&line] { return app::token_export(line.global, line.export_options); };
  });

  app::TokenImportOptions& import_options = line.import_options;
  auto* token_import =
      token.add_subcommand("import", "read a `token export` file into this host's store");
  token_import->add_option("--file", import_options.file, "the export file")->required();
  token_import->add_option("--passphrase-file", import_options.passphrase_file,
                           "read the passphrase from this file");
  token_import->add_flag("--replace", import_options.replace,
                         "overwrite accounts that already have tokens here");
  token_import->callback([&line] {
    line.run = [&line] { return app::token_import(line.global, line.import_options); };
  });
}

void add_token_commands(CLI::App& cli, CommandLine& line) {
  auto* token = cli.add_subcommand("token", "sign in, get, inspect and revoke tokens");
  token->require_subcommand(1);
  add_token_login_and_get(*token, line);
  add_token_status_inspect_revoke(*token, line);
  add_token_transfer(*token, line);
}

void add_explain_command(CLI::App& cli, CommandLine& line) {
  app::ExplainOptions& options = line.explain;
  auto* explain = cli.add_subcommand(
      "explain", "explain a refusal from the error catalogue (SMTP, IMAP, Graph, OAuth, AADSTS)");
  explain->add_option("text", options.words,
                      "the reply as pasted (quote it, or give it as several words; - reads "
                      "stdin; -- before text that starts with -)");
  explain->add_flag("--json", options.json, "JSON on stdout, for scripts");
  explain->add_flag("--list", options.list, "every entry of every catalogue");
  explain->add_flag("--markdown", options.markdown, "with --list: as docs/errors.md");
  explain->footer(
      "\nExamples:\n"
      "  mailoauth explain \"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
      "disabled for the Tenant\"\n"
      "  mailoauth explain AADSTS7000215\n"
      "  mailoauth explain invalid_grant\n"
      "  mailoauth explain \"BAD User is authenticated but not connected.\"\n"
      "  mailoauth explain ErrorAccessDenied\n"
      "  mailoauth explain 5.7.3\n"
      "Each match shows what it means, the remedy, and its error class with the exit code,\n"
      "Nagios state and retry it leads to. Several matches are ranked, the most likely first.\n"
      "Exit codes: 0 explained, 1 not in the catalogue (it says what to paste instead),\n"
      "64 nothing given. Only the first 16 KiB are looked at; nothing is echoed unescaped.");
  explain->callback([&line] {
    line.run = [&line] {
      if (!line.explain.list && line.explain.words.empty()) {
        fmt::print(stderr,
                   "mailoauth: explain needs the text to explain, or --list (remedy: mailoauth "
                   "explain \"535 5.7.3 Authentication unsuccessful\")\n");
        return core::kExitUsage;
      }
      return app::explain(line.explain);
    };
  });
}

}  // namespace

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  // Run directly (not through the `mailoauth` launcher), it still hands
  // send, imap, relay, queue and doctor to their programs.
  if (const char* program = app::program_for_command(argc, argv))
    return app::exec_program(argv, program);
  if (const char* plugin = app::take_check_command(argc, argv))
    return app::exec_program(argv, plugin);
  CLI::App cli{std::string(kDescription), "mailoauth"};
  cli.require_subcommand(1);
  CommandLine line;
  app::add_global_options(cli, line.global, "same as --log-level debug");
  add_account_commands(cli, line);
  add_token_commands(cli, line);
  add_explain_command(cli, line);
  // The commands of the other programs, in the tree (so usage errors list
  // them) but not in the help, whose description presents them.
  for (const char* other : {"send", "sendmail", "imap", "relay", "queue", "doctor"})
    cli.add_subcommand(other, "")->group("");
  auto* check = cli.add_subcommand("check", "")->group("");  // `check` alone: name the two
  check->require_subcommand(1);
  check->add_subcommand("token", "check_oauth_token");
  check->add_subcommand("roundtrip", "check_mail_roundtrip");
  if (const auto finished = app::parse_command_line(cli, argc, argv)) return *finished;
  return line.run ? line.run() : core::kExitUsage;
}
