// `check_imap_mailbox_oauth2`: check-mail's Nagios plugin for a shared
// mailbox read with an app-only (client credentials) token over AUTHENTICATE
// XOAUTH2. Same flags, lines, perfdata and exit codes as check-mail, except
// that the status line names the shared mailbox (check-mail prints an empty
// account). Beyond check-mail: the token comes from mailoauth's cache unless
// -no-cache (one request per token lifetime instead of one per check),
// -client-secret-file, certificate credentials, -auth-mechanism
// xoauth2|oauthbearer, -account NAME (a native mailoauth account: its
// server, mailbox and token instead of these flags), and the additions every
// check has (MailboxCheckFlags).
#include <fmt/format.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/client_credentials_token.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/mailbox_check_flags.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/sasl/mechanism.hpp"

#include "../mailoauth/app_context.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Plugin);
  compat::CheckMailApp app("check_imap_mailbox_oauth2", argv[0]);
  app.report_as_plugin();
  compat::MailboxCheckFlags common;
  common.add_to(app.flags());
  auto& flags = app.flags();
  compat::ClientCredentialsFlags credentials;
  credentials.add_to(flags);
  std::string shared_mailbox, mechanism_name = "xoauth2", account_name;
  flags.add_string("shared-mailbox", &shared_mailbox, "",
                   "Email account that is to be accessed using client ID & secret values. Usually "
                   "a shared mailbox among a team.");
  flags.add_string("auth-mechanism", &mechanism_name, "xoauth2",
                   "SASL mechanism: xoauth2 or oauthbearer. mailoauth only.");
  flags.add_string("account", &account_name, "",
                   "Use this native mailoauth account (server, mailbox, token from the store) "
                   "instead of the client and server flags. mailoauth only.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;

  const bool native = !account_name.empty();
  auto request = common.request(flags, !native);
  if (!request) return app.configuration_error(request.error().message());
  const auto mechanism = sasl::parse_mechanism(mechanism_name);
  if (!mechanism ||
      (*mechanism != sasl::Mechanism::XOAuth2 && *mechanism != sasl::Mechanism::OAuthBearer)) {
    return app.configuration_error(
        fmt::format("invalid auth mechanism {}: give xoauth2 or oauthbearer", mechanism_name));
  }

  // Where the token comes from: the native account's engine, or the flags' grant.
  app::GlobalOptions global;
  app::AppContext context(global);
  std::function<core::Result<core::Secret>()> token;
  oauth2::ClientCredentialsGrant grant;
  oauth2::HttpSettings http_settings;
  http_settings.ca_file = common.ca_file();
  http_settings.total_timeout = common.timeout();
  http_settings.connect_timeout = common.timeout();
  std::unique_ptr<oauth2::HttpClient> http;
  if (native) {
    auto account = context.account(account_name);
    if (!account) return app.configuration_error(account.error().describe());
    const oauth2::Account& chosen = **account;
    if (request->settings.host.empty()) request->settings.host = chosen.imap_server;
    if (request->settings.host.empty()) {
      return app.configuration_error(
          fmt::format("account {} has no imap_server; set it or give -server", account_name));
    }
    if (!flags.was_set("port") && chosen.imap_port != 0) {
      request->settings.port = static_cast<std::uint16_t>(chosen.imap_port);
    }
    if (!flags.was_set("starttls") && chosen.imap_tls == "starttls") {
      request->settings.tls_mode = imap::TlsMode::StartTls;
    }
    if (request->settings.tls.ca_file.empty()) request->settings.tls.ca_file = chosen.ca_file;
    shared_mailbox = shared_mailbox.empty() ? chosen.user() : shared_mailbox;
    if (shared_mailbox.empty()) {
      return app.configuration_error(
          fmt::format("account {} has no mailbox; set it or give -shared-mailbox", account_name));
    }
    token = [&context, &chosen]() -> core::Result<core::Secret> {
      auto engine = context.engine(chosen);
      if (!engine) return core::fail(engine.error());
      auto tokens = (*engine)->access_token(chosen);
      if (!tokens) return core::fail(tokens.error());
      return std::move(tokens->access_token);
    };
  } else {
    if (shared_mailbox.empty()) return app.configuration_error("shared mailbox not provided");
    auto made = credentials.grant();
    if (!made) return app.configuration_error(made.error().describe());
    grant = std::move(*made);
    token = [&]() -> core::Result<core::Secret> {
      http = std::make_unique<oauth2::HttpClient>(http_settings, &app.logger());
      auto fetched =
          compat::client_credentials_token(*http, grant, credentials.no_cache(),
                                           credentials.refresh_margin(), oauth2::RetryPolicy{1});
      if (!fetched) return core::fail(fetched.error());
      return std::move(fetched->access_token);
    };
  }

  request->mailbox = shared_mailbox;
  request->authenticate = [&](imap::SyncClient& client) -> core::Result<void> {
    auto access_token = token();
    if (!access_token) return core::fail(access_token.error().context("getting a token"));
    sasl::ClientCredentials sasl_credentials;
    sasl_credentials.user = shared_mailbox;
    sasl_credentials.secret = std::move(*access_token);
    sasl_credentials.host = request->settings.host;
    sasl_credentials.port = request->settings.port;
    return client.authenticate(*mechanism, std::move(sasl_credentials));
  };
  return compat::check_and_print(*request, common.branding() ? app.version_line() : "",
                                 app.started());
}
