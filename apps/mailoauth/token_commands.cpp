// `mailoauth token login|get|status|inspect`. `get` is what msmtp's
// passwordeval, mbsync's PassCmd and mutt's oauth_refresh_command run on
// every connection: it answers from the store when it can (no network, no
// libcurl loaded), renews under the store's lock when it must, and never waits
// for a person: without a usable token it exits 78 and names the `token login`
// to run. Its output has no trailing newline in the raw and SASL forms, so a
// caller can use it byte for byte.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/clock.hpp"
#include "mailoauth/oauth2/device_flow.hpp"
#include "mailoauth/oauth2/jwt_claims.hpp"
#include "mailoauth/oauth2/password_grant.hpp"
#include "mailoauth/oauth2/token_health.hpp"
#include "mailoauth/sasl/oauthbearer.hpp"
#include "mailoauth/sasl/xoauth2.hpp"

#include "app_context.hpp"
#include "commands.hpp"

namespace mailoauth::app {

namespace {

using core::ErrorClass;
using std::chrono::system_clock;

std::string stamp(const std::optional<system_clock::time_point>& time) {
  return time ? core::format_rfc3339_utc(*time, false) : std::string();
}

core::Result<core::Secret> password_from_stdin(const oauth2::Account& account) {
  if (::isatty(STDIN_FILENO)) {
    fmt::print(stderr,
               "Password for {} (LEGACY password grant; input is not hidden, prefer "
               "piping it): ",
               account.user());
  }
  std::string text;
  std::getline(std::cin, text);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
  if (text.empty()) {
    return core::fail(ErrorClass::Config, "token.no_password", "no password on stdin",
                      "pipe the password in: mailoauth token login NAME < password.txt");
  }
  return core::Secret::take(std::move(text));
}

}  // namespace

// Long on purpose (~90 lines): the sign-in flows (browser, device) share the
// account checks and the store write; each flow is a call.
int token_login(const GlobalOptions& global, const TokenLoginOptions& options) {
  AppContext context(global);
  auto found = context.account(options.account);
  if (!found) return context.report(found.error());
  const oauth2::Account& account = **found;
  auto engine = context.engine(account);
  if (!engine) return context.report(engine.error());
  oauth2::TokenEngine& tokens = **engine;

  if (account.flow == oauth2::Flow::App || account.flow == oauth2::Flow::ServiceAccount) {
    // Nobody signs in: getting a token proves the setup.
    auto token = tokens.access_token(account, std::chrono::hours(24 * 366));
    if (!token) return context.report(token.error());
    fmt::print(
        "{}: {} token obtained{}; nothing to sign in for this flow\n", account.name,
        oauth2::to_string(account.flow),
        token->access_expires_at
            ? ", expires " + oauth2::relative_time(*token->access_expires_at, system_clock::now())
            : "");
    return core::kExitOk;
  }
  auto endpoints = tokens.endpoints(account);
  if (!endpoints) return context.report(endpoints.error());
  auto identities = tokens.client_identities(account);
  if (!identities) return context.report(identities.error());
  const oauth2::ClientIdentity& client = identities->front();
  const auto requested_at = system_clock::now();

  core::Result<oauth2::TokenResponse> response =
      core::fail(ErrorClass::Bug, "token.unset", "unset");
  if (account.flow == oauth2::Flow::Password) {
    auto password = password_from_stdin(account);
    if (!password) return context.report(password.error());
    oauth2::PasswordGrant grant{
        endpoints->token_url,
        {client.client_id, client.client_secret.clone(), client.authentication},
        account.user(),
        std::move(*password),
        account.scopes};
    response = oauth2::request_password_grant(context.http(account), grant, tokens.policy(),
                                              tokens.sleeper());
  } else if (options.device) {
    if (endpoints->device_url.empty()) {
      return context.report(
          core::Error(ErrorClass::Config, "token.no_device_flow",
                      fmt::format("account {} has no device authorization endpoint", account.name),
                      "sign in with the browser instead (drop --device), or set device_url"));
    }
    if (account.provider == oauth2::ProviderKind::Google) {
      return context.report(
          core::Error(ErrorClass::Config, "token.no_device_flow",
                      "Google's device flow refuses Gmail scopes (https://mail.google.com/)",
                      "sign in with the browser: mailoauth token login " + account.name +
                          " (add --no-browser on a server and open the URL elsewhere)"));
    }
    auto authorization = oauth2::start_device_authorization(
        context.http(account), endpoints->device_url, client, account.scopes);
    if (!authorization) return context.report(authorization.error());
    if (!authorization->message.empty()) {
      fmt::print(stderr, "{}\n", authorization->message);
    } else {
      fmt::print(stderr, "To sign in, open {} on any device and enter the code {}\n",
                 authorization->verification_uri, authorization->user_code);
    }
    if (!authorization->verification_uri_complete.empty()) {
      fmt::print(stderr, "(or open {} directly)\n", authorization->verification_uri_complete);
    }
    fmt::print(stderr, "Waiting up to {} min for the sign-in...\n",
               authorization->expires_in.count() / 60);
    response = oauth2::poll_device_token(context.http(account), endpoints->token_url, client,
                                         *authorization, core::system_clock(), tokens.sleeper());
  } else {
    response = browser_login(context, account, *endpoints, client, options);
  }
  if (!response) return context.report(response.error());
  if (response->refresh_token.empty()) {
    fmt::print(stderr,
               "warning: the server sent no refresh token; `token get` will need a new login "
               "when this token expires{}\n",
               account.provider == oauth2::ProviderKind::Microsoft
                   ? " (is offline_access among the scopes?)"
                   : "");
  }
  auto saved = tokens.store_sign_in(account, std::move(*response), requested_at);
  if (!saved) return context.report(saved.error());
  fmt::print("{}: signed in{}; tokens sealed in {}\n", account.name,
             saved->access_expires_at
                 ? ", access token expires " +
                       oauth2::relative_time(*saved->access_expires_at, requested_at)
                 : "",
             tokens.store().path().string());
  return core::kExitOk;
}

int token_get(const GlobalOptions& global, const TokenGetOptions& options) {
  AppContext context(global);
  const std::string& format = options.format;
  if (format != "raw" && format != "json" && format != "xoauth2" && format != "xoauth2-base64" &&
      format != "oauthbearer-base64") {
    return context.report(core::Error(
        ErrorClass::Config, "token.bad_format", fmt::format("unknown format \"{}\"", format),
        "use raw, json, xoauth2, xoauth2-base64 or oauthbearer-base64"));
  }
  auto found = context.account(options.account);
  if (!found) return context.report(found.error());
  const oauth2::Account& account = **found;
  auto engine = context.engine(account);
  if (!engine) return context.report(engine.error());
  std::optional<std::chrono::seconds> margin;
  if (options.min_valid_seconds) margin = std::chrono::seconds(*options.min_valid_seconds);
  auto token = (*engine)->access_token(account, margin);
  if (!token) return context.report(token.error());

  if (format == "raw") {
    std::fwrite(token->access_token.reveal().data(), 1, token->access_token.size(), stdout);
    return core::kExitOk;
  }
  if (format == "json") {
    nlohmann::json object = {
        {"account", account.name},
        {"access_token", token->access_token.reveal()},
        {"token_type", token->token_type.empty() ? "Bearer" : token->token_type}};
    if (token->access_expires_at) {
      object["expires_at"] = stamp(token->access_expires_at);
      object["expires_in"] = std::chrono::duration_cast<std::chrono::seconds>(
                                 *token->access_expires_at - system_clock::now())
                                 .count();
    }
    if (!account.user().empty()) object["user"] = account.user();
    if (!token->scopes.empty()) object["scope"] = token->scopes;
    std::string text = object.dump();
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stdout);
    core::secure_wipe(text.data(), text.size());
    return core::kExitOk;
  }
  if (account.user().empty()) {
    return context.report(
        core::Error(ErrorClass::Config, "token.no_user",
                    fmt::format("the SASL formats need the mailbox of account {}", account.name),
                    fmt::format("set mailbox = \"user@example.com\" in {}", account.location)));
  }
  auto response = format == "oauthbearer-base64"
                      ? sasl::oauthbearer_initial_response(account.user(), token->access_token)
                      : sasl::xoauth2_initial_response(account.user(), token->access_token);
  if (!response) return context.report(response.error());
  if (format == "xoauth2") {
    std::fwrite(response->reveal().data(), 1, response->size(), stdout);
  } else {
    std::string encoded = core::base64::encode(response->reveal());
    std::fwrite(encoded.data(), 1, encoded.size(), stdout);
    core::secure_wipe(encoded.data(), encoded.size());
  }
  return core::kExitOk;
}

int token_status(const GlobalOptions& global, const TokenStatusOptions& options) {
  AppContext context(global);
  auto config = context.accounts();
  if (!config) return context.report(config.error());
  std::vector<const oauth2::Account*> chosen;
  if (!options.account.empty()) {
    auto found = (*config)->find(options.account);
    if (!found) return context.report(found.error());
    chosen.push_back(*found);
  } else {
    for (const auto& account : (*config)->accounts) chosen.push_back(&account);
  }
  auto store = context.store();
  if (!store) return context.report(store.error());
  const auto now = system_clock::now();
  nlohmann::json list = nlohmann::json::array();
  for (const oauth2::Account* account : chosen) {
    nlohmann::json entry = {{"account", account->name},
                            {"provider", oauth2::to_string(account->provider)},
                            {"flow", oauth2::to_string(account->flow)}};
    auto stored = (*store)->load(account->name);
    if (!stored) return context.report(stored.error());
    const oauth2::StoredTokens* tokens = *stored ? &**stored : nullptr;
    if (tokens != nullptr) {
      if (tokens->access_expires_at) entry["access_expires_at"] = stamp(tokens->access_expires_at);
      if (tokens->access_obtained_at) {
        entry["access_obtained_at"] = stamp(tokens->access_obtained_at);
      }
      entry["has_refresh_token"] = !tokens->refresh_token.empty();
      if (!tokens->refresh_token.empty() && tokens->refresh_obtained_at) {
        entry["refresh_obtained_at"] = stamp(tokens->refresh_obtained_at);
      }
      if (tokens->last_refresh_at) entry["last_refresh_at"] = stamp(tokens->last_refresh_at);
      if (!tokens->scopes.empty()) entry["scope"] = tokens->scopes;
      if (!tokens->last_error.empty()) entry["last_error"] = tokens->last_error;
    }
    auto engine = context.engine(*account);
    if (!engine) return context.report(engine.error());
    auto secrets = (*engine)->client_secrets(*account);
    std::vector<oauth2::ClientSecretExpiry> expiries;
    nlohmann::json secret_list = nlohmann::json::array();
    if (secrets) {
      for (const auto& secret : *secrets) {
        expiries.push_back({secret.slot, secret.origin, secret.expires_at});
        nlohmann::json item = {{"slot", secret.slot}, {"origin", secret.origin}};
        if (secret.expires_at) item["expires_at"] = stamp(secret.expires_at);
        secret_list.push_back(item);
      }
    }
    auto health = oauth2::assess_token_health(*account, tokens, expiries, now);
    if (!secrets) health.warnings.push_back(secrets.error().describe());
    entry["state"] = oauth2::to_string(health.state);
    entry["client_secrets"] = secret_list;
    entry["warnings"] = health.warnings;
    list.push_back(entry);
    const auto& lines = health.facts;
    const auto& notes = health.warnings;
    if (!options.json) {
      fmt::print("{} ({} {}, {})\n", account->name, oauth2::to_string(account->provider),
                 oauth2::to_string(account->flow), account->user().empty() ? "-" : account->user());
      for (const auto& line : lines) fmt::print("  {}\n", line);
      for (const auto& note : notes) fmt::print("  WARNING: {}\n", note);
    }
  }
  if (options.json) fmt::print("{}\n", list.dump(2));
  if (chosen.empty() && !options.json) {
    fmt::print(stderr, "no accounts in {}; add one with `mailoauth account add`\n",
               (*config)->path.string());
  }
  return core::kExitOk;
}

int token_inspect(const GlobalOptions& global, const TokenInspectOptions& options) {
  AppContext context(global);
  core::Secret token;
  if (options.token.empty()) {
    auto found = context.account(options.account);
    if (!found) return context.report(found.error());
    auto store = context.store();
    if (!store) return context.report(store.error());
    auto stored = (*store)->load(options.account);
    if (!stored) return context.report(stored.error());
    if (!*stored || (*stored)->access_token.empty()) {
      return context.report(core::Error(
          ErrorClass::Config, "token.none", "no access token stored for " + options.account,
          "get one first: mailoauth token get " + options.account + " > /dev/null"));
    }
    token = (*stored)->access_token.clone();
  } else if (options.token != "-") {
    token = core::Secret(options.token);
  } else {
    std::string text;
    std::getline(std::cin, text);
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || text.back() == ' ')) {
      text.pop_back();
    }
    token = core::Secret::take(std::move(text));
  }
  auto claims = oauth2::decode_jwt_claims(token.reveal());
  if (!claims) return context.report(claims.error());
  for (const auto& line : oauth2::format_claims(*claims)) fmt::print("{}\n", line);
  const auto explanations = oauth2::explain_claims(*claims, system_clock::now());
  if (!explanations.empty() && claims->is_jwt) fmt::print("\n");
  for (const auto& line : explanations) fmt::print("{}\n", line);
  return core::kExitOk;
}

}  // namespace mailoauth::app
