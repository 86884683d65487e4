// check_oauth_token: a Nagios/Icinga check of one mailoauth account's OAuth2
// health, the check that tells an admin a month ahead that mail will stop on
// the day the client secret expires. It answers: can a token be had now
// (from the store, renewing as `token get` does; with --renew a real renewal),
// is the way to the next token intact (an app account's secret or
// certificate readable, a delegated account's refresh token there and young
// enough for the provider's inactivity lifetime), how many days the client
// secret (from `client_secret_expires`) and the certificate (from the
// certificate) have left against -w/-c, and what the last renewal error in
// the store says. The rules are oauth2/token_health and monitor/token_check;
// this file gathers the facts and prints. It never prints a token or a
// secret: it holds them only inside the engine.
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/monitor/age_duration.hpp"
#include "mailoauth/monitor/token_check.hpp"
#include "mailoauth/oauth2/client_assertion.hpp"
#include "mailoauth/oauth2/renew_once.hpp"
#include "mailoauth/oauth2/token_health.hpp"

#include "../common/global_options.hpp"
#include "../mailoauth/app_context.hpp"
#include "plugin_deadline.hpp"
#include "plugin_print.hpp"

namespace {

using namespace mailoauth;
using core::NagiosState;

constexpr const char* kProgram = "check_oauth_token";

struct Options {
  std::string account, account_flag;
  std::string warning = "30", critical = "7";
  bool renew = false;
  std::string refresh_lifetime;
  int timeout_seconds = 10;
};

int print(const monitor::PluginOutput& output) {
  return checks::print_plugin_output(output);
}
int unknown(const std::string& message) {
  return checks::print_unknown(message);
}

// A failure before the token could even be asked for (the store): CRITICAL,
// since the relay and the other tools would fail the same way.
int critical(const std::string& account, const core::Error& error) {
  monitor::PluginOutput output;
  output.state = NagiosState::Critical;
  output.service_output =
      monitor::status_line(NagiosState::Critical, fmt::format("{}: {}", account, error.message()));
  if (!error.remedy().empty()) output.long_output = "remedy: " + error.remedy();
  return print(output);
}

// Every client secret with where it lives and when it expires, and the
// certificate's notAfter (read from the certificate itself).
core::Result<std::vector<monitor::CredentialExpiry>> credential_expiries(
    oauth2::TokenEngine& engine, const oauth2::Account& account) {
  std::vector<monitor::CredentialExpiry> found;
  if (!account.certificate_file.empty()) {
    auto credentials = oauth2::AssertionCredentials::load(
        account.certificate_file,
        account.private_key_file.empty() ? account.certificate_file : account.private_key_file);
    if (!credentials) return core::fail(std::move(credentials.error()));
    found.push_back({monitor::CredentialExpiry::Kind::Certificate, "", account.certificate_file,
                     credentials->not_after()});
  }
  auto secrets = engine.client_secrets(account);
  if (!secrets) return core::fail(std::move(secrets.error()));
  for (const auto& secret : *secrets) {
    found.push_back({monitor::CredentialExpiry::Kind::ClientSecret, secret.slot, secret.origin,
                     secret.expires_at});
  }
  return found;
}

int run(const app::GlobalOptions& global, const Options& options) {
  const std::string name = options.account.empty() ? options.account_flag : options.account;
  if (name.empty()) return unknown("no account given (run `check_oauth_token --help`)");
  monitor::TokenCheckThresholds thresholds;
  for (const auto& [text, target, what] :
       {std::tuple{&options.warning, &thresholds.warning, "-w"},
        std::tuple{&options.critical, &thresholds.critical, "-c"}}) {
    if (text->empty()) continue;
    auto range = monitor::parse_days_left_threshold(*text, what);
    if (!range) return unknown(range.error().describe());
    *target = *range;
  }
  std::optional<std::chrono::seconds> lifetime;
  if (!options.refresh_lifetime.empty()) {
    auto parsed = monitor::parse_age_duration(options.refresh_lifetime, "--refresh-lifetime");
    if (!parsed) return unknown(parsed.error().describe());
    lifetime = *parsed;
  }

  checks::set_plugin_stage("reading the account");
  app::AppContext context(global);
  context.limit_http_time(checks::plugin_time_left());
  auto account = context.account(name);
  if (!account) return unknown(account.error().describe());
  const oauth2::Account& chosen = **account;

  checks::set_plugin_stage("opening the token store");
  auto engine = context.engine(chosen);
  if (!engine) return critical(name, engine.error());
  auto store = context.store();
  if (!store) return critical(name, store.error());
  auto before = (*store)->load(name);
  if (!before) return critical(name, before.error());

  monitor::TokenCheckFacts facts;
  facts.account = name;
  facts.needs_refresh_token = chosen.flow == oauth2::Flow::Delegated;
  if (*before) facts.previous_error = (*before)->last_error;

  // The way to the next token first (secrets readable, certificate loadable),
  // then the token itself: from the store, or renewed now with --renew.
  checks::set_plugin_stage("reading the client credentials");
  auto expiries = credential_expiries(**engine, chosen);
  if (expiries) {
    facts.credentials = std::move(*expiries);
  } else {
    facts.token_error = expiries.error();
  }
  if (!facts.token_error) {
    checks::set_plugin_stage(options.renew ? "renewing the token" : "getting the token");
    auto tokens = options.renew ? (*engine)->access_token(chosen, oauth2::kRenewNowMargin)
                                : (*engine)->access_token(chosen);
    if (!tokens) {
      facts.token_error = tokens.error();
    } else {
      facts.renewed = options.renew;
    }
  }

  checks::set_plugin_stage("reading the token store");
  auto after = (*store)->load(name);
  if (!after) return critical(name, after.error());
  facts.now = core::system_clock().now();
  facts.health =
      oauth2::assess_token_health(chosen, *after ? &**after : nullptr, {}, facts.now, lifetime);
  return print(monitor::token_check_output(facts, thresholds));
}

}  // namespace

int main(int argc, char** argv) {
  core::harden_process(core::ProgramKind::Plugin);
  CLI::App cli{
      "check_oauth_token - a Nagios/Icinga check of a mailoauth account's OAuth2 health:\n"
      "a token can be had now, the refresh token is not near the provider's inactivity\n"
      "limit, the client secret and certificate are not near their expiry, no renewal\n"
      "error is pending. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
      kProgram};
  app::GlobalOptions global;
  app::add_global_options(cli, global, "log the token requests to stderr (secrets redacted)");
  Options options;
  cli.add_option("account", options.account, "the mailoauth account to check");
  cli.add_option("-a,--account", options.account_flag, "the account (instead of the argument)");
  cli.add_option("-w,--warning", options.warning,
                 "days left on the client secret or certificate to warn at: N means fewer "
                 "than N days (default 30); a Nagios range (30:, @0:30) is taken as written");
  cli.add_option("-c,--critical", options.critical, "days left to go CRITICAL at (default 7)");
  cli.add_flag("--renew", options.renew,
               "renew the token now (a real request to the identity server) instead of "
               "using the stored one while it is valid");
  cli.add_option("--refresh-lifetime", options.refresh_lifetime,
                 "the refresh token's inactivity lifetime (default: 90d at Microsoft, none "
                 "elsewhere); WARNING 10 days before, CRITICAL at it");
  cli.add_option("-t,--timeout", options.timeout_seconds,
                 "seconds for the whole check (default 10); CRITICAL when it runs out");
  cli.footer(
      "\nExamples:\n"
      "  check_oauth_token relay -w 30 -c 7\n"
      "      OK while the token can be had and the secret has 30 days or more left\n"
      "  check_oauth_token relay --renew\n"
      "      prove that the identity server still issues tokens (once an hour is plenty)\n"
      "  MAILOAUTH_STATE_DIR=/var/lib/mailoauth check_oauth_token --config "
      "/etc/mailoauth/config.toml relay\n"
      "      as Nagios runs it: no HOME, the relay's store and accounts\n"
      "\nThe client secret's expiry is client_secret_expires = \"2027-06-30\" in the "
      "account\n(Entra shows it in the portal but never tells the client); a "
      "certificate's comes\nfrom the certificate. Perfdata: access_token_seconds_left, "
      "refresh_token_age_days,\nsecret_days_left, certificate_days_left. Guide: "
      "docs/monitoring.md.");
  const auto report = [](const CLI::App&, const std::string& message) {
    return unknown(fmt::format("{} (run `check_oauth_token --help`)", message));
  };
  if (const auto finished = app::parse_command_line(cli, argc, argv, report)) return *finished;
  checks::arm_plugin_deadline(options.timeout_seconds, kProgram);
  return run(global, options);
}
