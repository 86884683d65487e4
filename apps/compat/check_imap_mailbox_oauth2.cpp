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
#include <cstdio>

#include <fmt/format.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/client_credentials_token.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/mailbox_check_flags.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/monitor/plugin_output.hpp"
#include "mailoauth/sasl/mechanism.hpp"

#include "../mailoauth/app_context.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  compat::CheckMailApp app("check_imap_mailbox_oauth2", argv[0]);
  app.report_as_plugin();
  compat::MailboxCheckFlags common;
  common.add_to(app.flags());
  auto& flags = app.flags();
  std::vector<std::string> scopes;
  std::string client_id, client_secret_text, client_secret_file, certificate_file, private_key_file,
      shared_mailbox, token_url, mechanism_name = "xoauth2", account_name;
  bool no_cache = false;
  std::int64_t refresh_margin = 300;
  flags.add_string("client-id", &client_id, "",
                   "Application (client) ID created during app registration.");
  flags.add_string("client-secret", &client_secret_text, "",
                   "Client secret (aka, \"app\" password).");
  flags.add_string("client-secret-file", &client_secret_file, "",
                   "Read the client secret from `file` instead of -client-secret. mailoauth only.");
  flags.add_string("certificate-file", &certificate_file, "",
                   "Authenticate with the PEM certificate in `file` instead of a client secret. "
                   "mailoauth only.");
  flags.add_string("private-key-file", &private_key_file, "",
                   "The certificate's private key, PEM (default: in -certificate-file). "
                   "mailoauth only.");
  flags.add_list("scopes", &scopes,
                 "One or more scopes requested from the authorization server. E.g., "
                 "\"https://outlook.office365.com/.default\" for O365.");
  flags.add_string("shared-mailbox", &shared_mailbox, "",
                   "Email account that is to be accessed using client ID & secret values. Usually "
                   "a shared mailbox among a team.");
  flags.add_string("token-url", &token_url, "",
                   "The OAuth2 provider's token endpoint URL. E.g., "
                   "\"https://accounts.google.com/o/oauth2/token\" for Google. See example INI "
                   "file for O365 example.");
  flags.add_bool("no-cache", &no_cache, false,
                 "Ask the token endpoint on every run instead of reusing a cached token "
                 "(check-mail's behaviour). mailoauth only.");
  flags.add_int("refresh-margin", &refresh_margin, 300,
                "Reuse a cached token only while it stays valid this many more seconds. "
                "mailoauth only.");
  flags.add_string("auth-mechanism", &mechanism_name, "xoauth2",
                   "SASL mechanism: xoauth2 or oauthbearer. mailoauth only.");
  flags.add_string("account", &account_name, "",
                   "Use this native mailoauth account (server, mailbox, token from the store) "
                   "instead of the client and server flags. mailoauth only.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;
  core::Secret client_secret = core::Secret::take(std::move(client_secret_text));

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
    if (!client_secret_file.empty()) {
      auto secret = compat::read_secret_file(client_secret_file);
      if (!secret) return app.configuration_error(secret.error().message());
      client_secret = std::move(*secret);
    }
    if (client_id.empty()) return app.configuration_error("client ID not provided");
    if (!certificate_file.empty() && !client_secret.empty()) {
      return app.configuration_error(
          "give a client secret or a certificate (-certificate-file), not both");
    }
    if (client_secret.empty() && certificate_file.empty()) {
      return app.configuration_error("client secret not provided");
    }
    if (scopes.empty()) return app.configuration_error("scopes not provided");
    if (shared_mailbox.empty()) return app.configuration_error("shared mailbox not provided");
    if (token_url.empty()) return app.configuration_error("token URL not provided");
    if (refresh_margin < 0) {
      return app.configuration_error(fmt::format("invalid refresh margin: {}", refresh_margin));
    }
    grant.token_url = token_url;
    grant.client_id = client_id;
    grant.client_secret = std::move(client_secret);
    grant.scopes = scopes;
    if (!certificate_file.empty()) {
      auto loaded = compat::use_certificate(grant, certificate_file, private_key_file);
      if (!loaded) return app.configuration_error(loaded.error().describe());
    }
    token = [&]() -> core::Result<core::Secret> {
      http = std::make_unique<oauth2::HttpClient>(http_settings, &app.logger());
      auto fetched = compat::client_credentials_token(
          *http, grant, no_cache, std::chrono::seconds(refresh_margin), oauth2::RetryPolicy{1});
      if (!fetched) return core::fail(fetched.error());
      return std::move(fetched->access_token);
    };
  }

  request->mailbox = shared_mailbox;
  request->authenticate = [&](imap::SyncClient& client) -> core::Result<void> {
    auto access_token = token();
    if (!access_token) return core::fail(access_token.error().context("getting a token"));
    sasl::ClientCredentials credentials;
    credentials.user = shared_mailbox;
    credentials.secret = std::move(*access_token);
    credentials.host = request->settings.host;
    credentials.port = request->settings.port;
    return client.authenticate(*mechanism, std::move(credentials));
  };
  compat::OutputContext output_context;
  if (common.branding()) output_context.branding = compat::branding_line(app.version_line());
  const auto output = compat::run_mailbox_check(*request, output_context, app.started());
  std::fputs(monitor::render(output).c_str(), stdout);
  return output.exit_code();
}
