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
//
// The cache is an optimisation, so it never fails a check: when it cannot be
// used (no state directory, a store or key this user may not read, anything
// thrown from it), the token is fetched without it and the long output says
// "token cache not used: <why>". Monitoring daemons run plugins without HOME
// (Debian's nagios4 and icinga2 units); that case is the one issue 11 found.
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include <fmt/format.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/client_credentials_token.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/mailbox_check_flags.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/oauth2/renew_once.hpp"
#include "mailoauth/oauth2/token_cache.hpp"
#include "mailoauth/sasl/mechanism.hpp"

#include "../mailoauth/app_context.hpp"

using namespace mailoauth;

namespace {

// Everything the flags' token needs, and what happened to the cache.
struct FlagsToken {
  const oauth2::ClientCredentialsGrant& grant;
  const compat::ClientCredentialsFlags& credentials;
  oauth2::HttpSettings http_settings;
  core::Logger& logger;
  std::optional<std::string> cache_note;  // set when the cache was skipped
};

// A failure of the cache itself (the state directory, the key, the store)
// rather than of the token endpoint: it is worked around, not reported.
struct CacheTrouble {
  core::Error error;
};

// The token through the cache. The steps are taken one by one so that only an
// error of the token endpoint comes back as an Error: one before the endpoint
// was asked (any code), or of the store afterwards (store.*), is CacheTrouble.
std::variant<oauth2::StoredTokens, core::Error, CacheTrouble> through_cache(
    FlagsToken& source, std::chrono::seconds margin) {
  try {
    auto state = oauth2::default_state_directory();
    if (!state) return CacheTrouble{state.error()};
    auto store = oauth2::open_default_store(*state);
    if (!store) return CacheTrouble{store.error().context("opening the token cache")};
    oauth2::HttpClient http(source.http_settings, &source.logger);
    oauth2::RealSleeper sleeper;
    auto cached = oauth2::cached_client_credentials(*store, http, source.grant, margin,
                                                    oauth2::RetryPolicy{1}, sleeper);
    if (cached) return std::move(*cached);
    if (cached.error().code().starts_with("store.")) return CacheTrouble{cached.error()};
    return cached.error();
  } catch (const std::exception& thrown) {  // an edge: the cache is optional, the check is not
    return CacheTrouble{core::Error(core::ErrorClass::Bug, "store.exception",
                                    fmt::format("the token cache failed: {}", thrown.what()))};
  }
}

// `renew`: after the server refused the token, a new one even if the cached
// one looks valid (oauth2::renew_once).
core::Result<core::Secret> flags_token(FlagsToken& source, bool renew) {
  const bool verbose = source.logger.enabled(core::LogLevel::Debug);
  const std::chrono::seconds margin =
      renew ? oauth2::kRenewNowMargin : source.credentials.refresh_margin();
  if (!source.credentials.no_cache()) {
    auto cached = through_cache(source, margin);
    if (auto* tokens = std::get_if<oauth2::StoredTokens>(&cached)) {
      if (verbose) source.logger.debug("Token acquired", {{"source", "token cache"}});
      return std::move(tokens->access_token);
    }
    if (auto* error = std::get_if<core::Error>(&cached)) return core::fail(std::move(*error));
    const core::Error& trouble = std::get<CacheTrouble>(cached).error;
    source.cache_note = fmt::format(
        "token cache not used: {}; the token was fetched without caching (each check asks "
        "the token endpoint until this is fixed)",
        trouble.describe());
    if (verbose) source.logger.debug("Token cache not used", {{"error", trouble.describe()}});
  }
  if (verbose) source.logger.debug("Acquiring fresh token", {{"url", source.grant.token_url}});
  oauth2::HttpClient http(source.http_settings, &source.logger);
  auto fetched =
      compat::client_credentials_token(http, source.grant, true, margin, oauth2::RetryPolicy{1});
  if (!fetched) return core::fail(fetched.error());
  if (verbose) source.logger.debug("Token acquired", {{"source", "token endpoint"}});
  return std::move(fetched->access_token);
}

using TokenSource = std::function<core::Result<core::Secret>(bool renew)>;

// check-mail's flags and mailoauth's additions.
struct PluginFlags {
  compat::MailboxCheckFlags common;
  compat::ClientCredentialsFlags credentials;
  std::string shared_mailbox, mechanism_name = "xoauth2", account_name;

  void add_to(cli::GoFlagSet& flags) {
    common.add_to(flags);
    credentials.add_to(flags);
    flags.add_string("shared-mailbox", &shared_mailbox, "",
                     "Email account that is to be accessed using client ID & secret values. "
                     "Usually a shared mailbox among a team.");
    flags.add_string("auth-mechanism", &mechanism_name, "xoauth2",
                     "SASL mechanism: xoauth2 or oauthbearer. mailoauth only.");
    flags.add_string("account", &account_name, "",
                     "Use this native mailoauth account (server, mailbox, token from the store) "
                     "instead of the client and server flags. mailoauth only.");
  }
};

// -account NAME: the server by the one server rule (delivery::server_settings:
// flags given, else the account's imap_* keys, else the provider's IMAP
// server), and the account's mailbox unless -shared-mailbox was given. Returns
// what is wrong with the account, if anything.
std::optional<std::string> use_account(const oauth2::Account& chosen, PluginFlags& plugin,
                                       const cli::GoFlagSet& flags,
                                       compat::MailboxCheckRequest& request) {
  delivery::ServerOverrides given{request.settings.host,
                                  flags.was_set("port") ? request.settings.port : 0,
                                  {},
                                  request.settings.tls.ca_file};
  if (flags.was_set("starttls")) {
    given.tls = request.settings.tls_mode == imap::TlsMode::StartTls ? delivery::TlsMode::StartTls
                                                                     : delivery::TlsMode::Implicit;
  }
  auto server = delivery::server_settings(delivery::MailProtocol::Imap, &chosen, given);
  if (!server) {
    return server.error().code() == "delivery.no_server"
               ? fmt::format("account {} has no IMAP server; set imap_server or give -server",
                             plugin.account_name)
               : server.error().describe();
  }
  request.settings.host = server->host;
  request.settings.port = server->port;
  request.settings.tls_mode = server->tls == delivery::TlsMode::StartTls ? imap::TlsMode::StartTls
                                                                         : imap::TlsMode::Implicit;
  request.settings.tls.ca_file = server->ca_file;
  if (plugin.shared_mailbox.empty()) plugin.shared_mailbox = chosen.user();
  if (plugin.shared_mailbox.empty()) {
    return fmt::format("account {} has no mailbox; set it or give -shared-mailbox",
                       plugin.account_name);
  }
  return std::nullopt;
}

// The native account's token, from its engine (the store, renewal).
TokenSource account_token(app::AppContext& context, const oauth2::Account& chosen) {
  return [&context, &chosen](bool renew) -> core::Result<core::Secret> {
    try {
      auto engine = context.engine(chosen);
      if (!engine) return core::fail(engine.error());
      auto tokens = renew ? (*engine)->access_token(chosen, oauth2::kRenewNowMargin)
                          : (*engine)->access_token(chosen);
      if (!tokens) return core::fail(tokens.error());
      return std::move(tokens->access_token);
    } catch (const std::exception& thrown) {  // an edge: a check reports, never aborts
      return core::fail(core::ErrorClass::Bug, "store.exception",
                        fmt::format("the token store failed: {}", thrown.what()));
    }
  };
}

// AUTHENTICATE with the token; a refused token is renewed once
// (oauth2::renew_once), as for SMTP and Graph.
void authenticate_with(compat::MailboxCheckRequest& request, const TokenSource& token,
                       sasl::Mechanism mechanism) {
  request.authenticate = [&request, &token, mechanism](imap::SyncClient& client) {
    return oauth2::renew_once<void>(
        [&](bool renew) -> core::Result<core::Secret> {
          auto access_token = token(renew);
          if (!access_token) return core::fail(access_token.error().context("getting a token"));
          return access_token;
        },
        [&](core::Secret access_token) {
          sasl::ClientCredentials sasl_credentials;
          sasl_credentials.user = request.mailbox;
          sasl_credentials.secret = std::move(access_token);
          sasl_credentials.host = request.settings.host;
          sasl_credentials.port = request.settings.port;
          return client.authenticate(mechanism, std::move(sasl_credentials));
        },
        [&](const core::Error& error) {
          return client.connected() && imap::refused_credentials(error);
        });
  };
}

}  // namespace

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Plugin);
  compat::CheckMailApp app("check_imap_mailbox_oauth2", argv[0]);
  app.report_as_plugin();
  auto& flags = app.flags();
  PluginFlags plugin;
  plugin.add_to(flags);
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;

  const bool native = !plugin.account_name.empty();
  auto request = plugin.common.request(flags, !native);
  if (!request) return app.configuration_error(request.error().message());
  const auto mechanism = sasl::parse_mechanism(plugin.mechanism_name);
  if (!mechanism ||
      (*mechanism != sasl::Mechanism::XOAuth2 && *mechanism != sasl::Mechanism::OAuthBearer)) {
    return app.configuration_error(fmt::format(
        "invalid auth mechanism {}: give xoauth2 or oauthbearer", plugin.mechanism_name));
  }

  // Where the token comes from: the native account's engine, or the flags' grant.
  app::GlobalOptions global;
  app::AppContext context(global);
  TokenSource token;
  oauth2::ClientCredentialsGrant grant;
  std::optional<FlagsToken> flags_source;
  if (native) {
    auto account = context.account(plugin.account_name);
    if (!account) return app.configuration_error(account.error().describe());
    if (auto wrong = use_account(**account, plugin, flags, *request))
      return app.configuration_error(*wrong);
    token = account_token(context, **account);
  } else {
    if (plugin.shared_mailbox.empty())
      return app.configuration_error("shared mailbox not provided");
    auto made = plugin.credentials.grant();
    if (!made) return app.configuration_error(made.error().describe());
    grant = std::move(*made);
    oauth2::HttpSettings http_settings;
    http_settings.ca_file = plugin.common.ca_file();
    http_settings.total_timeout = plugin.common.timeout();
    http_settings.connect_timeout = plugin.common.timeout();
    flags_source.emplace(FlagsToken{grant, plugin.credentials, http_settings, app.logger(), {}});
    token = [&flags_source](bool renew) { return flags_token(*flags_source, renew); };
  }

  request->mailbox = plugin.shared_mailbox;
  request->logger = &app.logger();
  request->notes = [&flags_source]() {
    std::vector<std::string> notes;
    if (flags_source && flags_source->cache_note) notes.push_back(*flags_source->cache_note);
    return notes;
  };
  authenticate_with(*request, token, *mechanism);
  return compat::check_and_print(*request, plugin.common.branding() ? app.version_line() : "",
                                 app.started());
}
