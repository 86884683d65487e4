// How each flow renews, and the secret fallback. The store's get_or_obtain
// does the locking and the rotation bookkeeping; this file decides which
// grant `obtain` runs.
#include "mailoauth/oauth2/token_engine.hpp"

#include <fmt/format.h>

#include "mailoauth/oauth2/client_assertion.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/discovery.hpp"
#include "mailoauth/oauth2/jwt_bearer.hpp"
#include "mailoauth/oauth2/refresh.hpp"

namespace mailoauth::oauth2 {

using core::ErrorClass;

StoredTokens tokens_from_response(TokenResponse&& response, core::Clock::WallTime requested_at) {
  StoredTokens tokens;
  tokens.access_token = std::move(response.access_token);
  tokens.token_type = response.token_type;
  tokens.scopes = response.scope;
  tokens.access_obtained_at = requested_at;
  if (response.expires_in) tokens.access_expires_at = requested_at + *response.expires_in;
  if (!response.refresh_token.empty()) {
    tokens.refresh_token = std::move(response.refresh_token);
    tokens.refresh_obtained_at = requested_at;
  }
  return tokens;
}

TokenEngine::TokenEngine(TokenStore& store, HttpClient& http, RetryPolicy policy, Sleeper& sleeper,
                         const core::Clock& clock, core::Logger* logger)
    : store_(store),
      http_(http),
      policy_(policy),
      sleeper_(sleeper),
      clock_(clock),
      logger_(logger) {}

core::Result<std::vector<ResolvedClientSecret>> TokenEngine::client_secrets(
    const Account& account) {
  std::vector<ResolvedClientSecret> resolved;
  bool store_expiry_only = true;
  for (const auto& source : account.secrets) {
    if (source.kind != SecretSource::Kind::Store) store_expiry_only = false;
  }
  if (!account.secrets.empty() && !store_expiry_only) {
    for (const auto& source : account.secrets) {
      if (source.kind == SecretSource::Kind::Store) continue;
      auto value = read_secret_source(source);
      if (!value) return core::fail(std::move(value.error()).context(account.name));
      std::string origin;
      switch (source.kind) {
        case SecretSource::Kind::File:
          origin = "file " + source.where;
          break;
        case SecretSource::Kind::Environment:
          origin = "environment variable " + source.where;
          break;
        default:
          origin = source.where;
      }
      resolved.push_back({std::move(*value), source.slot, std::move(origin), source.expires});
    }
    return resolved;
  }
  auto stored = store_.client_secrets(account.name);
  if (!stored) return core::fail(stored.error());
  for (auto& secret : *stored) {
    auto expires = secret.expires_at;
    for (const auto& source : account.secrets) {  // an expiry given in the config wins
      if (source.slot == secret.slot && source.expires) expires = source.expires;
    }
    resolved.push_back({std::move(secret.value), secret.slot, "token store", expires});
  }
  return resolved;
}

core::Result<std::vector<ClientIdentity>> TokenEngine::client_identities(const Account& account) {
  auto secrets = client_secrets(account);
  if (!secrets) return core::fail(secrets.error());
  std::vector<ClientIdentity> identities;
  if (!account.certificate_file.empty()) {  // a certificate first: Entra's recommendation
    auto credentials = AssertionCredentials::load(
        account.certificate_file,
        account.private_key_file.empty() ? account.certificate_file : account.private_key_file);
    if (!credentials) return core::fail(std::move(credentials.error()).context(account.name));
    ClientIdentity identity{account.client_id, core::Secret(), ClientAuthentication::PrivateKeyJwt};
    identity.assertion = std::make_shared<const AssertionCredentials>(std::move(*credentials));
    identities.push_back(std::move(identity));
  }
  for (auto& secret : *secrets) {
    identities.push_back(
        {account.client_id, std::move(secret.value), account.client_authentication});
  }
  if (identities.empty()) {
    identities.push_back({account.client_id, core::Secret(), ClientAuthentication::None});
  }
  return identities;
}

core::Result<Endpoints> TokenEngine::endpoints(const Account& account) {
  if (!account.endpoints.token_url.empty()) return account.endpoints;
  if (account.issuer.empty()) {
    return core::fail(
        ErrorClass::Config, "config.no_token_url",
        fmt::format("{}: account \"{}\" has no token_url", account.location, account.name),
        "set token_url, or issuer for OIDC discovery");
  }
  // Only an issuer: discovery fills what the configuration left out.
  auto metadata = discover_server(http_, account.issuer);
  if (!metadata) return core::fail(std::move(metadata.error()).context(account.name));
  Endpoints found = account.endpoints;
  const auto fill = [](std::string& target, const std::string& value) {
    if (target.empty()) target = value;
  };
  fill(found.authorize_url, metadata->authorization_endpoint);
  fill(found.token_url, metadata->token_endpoint);
  fill(found.device_url, metadata->device_authorization_endpoint);
  fill(found.revocation_url, metadata->revocation_endpoint);
  if (logger_ != nullptr) {
    logger_->debug(
        fmt::format("account {}: endpoints discovered at {}", account.name, account.issuer));
  }
  return found;
}

core::Result<TokenResponse> TokenEngine::with_identities(
    const Account& account,
    const std::function<core::Result<TokenResponse>(const ClientIdentity&)>& attempt) {
  auto identities = client_identities(account);
  if (!identities) return core::fail(identities.error());
  std::optional<core::Error> first_refusal;
  for (std::size_t i = 0; i < identities->size(); ++i) {
    auto response = attempt((*identities)[i]);
    if (response || response.error().code() != "oauth2.invalid_client" ||
        i + 1 == identities->size()) {
      if (response && first_refusal && logger_ != nullptr) {
        logger_->warn(
            fmt::format("account {}: the current client secret was refused "
                        "(invalid_client); the previous one worked. Fix the current "
                        "secret before the previous one expires",
                        account.name));
      }
      if (!response && first_refusal) return core::fail(std::move(*first_refusal));
      return response;
    }
    if (!first_refusal) first_refusal = response.error();
    if (logger_ != nullptr) {
      logger_->warn(
          fmt::format("account {}: client secret {} refused (invalid_client); trying "
                      "the next one",
                      account.name, i + 1));
    }
  }
  return core::fail(ErrorClass::Bug, "engine.no_identity", "no client identity to try");
}

core::Result<StoredTokens> TokenEngine::renew(const Account& account,
                                              const std::optional<StoredTokens>& current) {
  auto endpoints_found = endpoints(account);
  if (!endpoints_found) return core::fail(endpoints_found.error());
  const std::string& token_url = endpoints_found->token_url;
  const auto requested_at = clock_.now();
  core::Result<TokenResponse> response = core::fail(ErrorClass::Bug, "engine.unset", "unset");
  switch (account.flow) {
    case Flow::Delegated:
    case Flow::Password: {
      if (!current || current->refresh_token.empty()) {
        return core::fail(
            ErrorClass::Config, "token.login_required",
            fmt::format("account \"{}\" has no {} token", account.name,
                        current ? "usable" : "stored"),
            fmt::format("sign in once: mailoauth token login {}{}", account.name,
                        account.provider == ProviderKind::Google ? "" : "  (or --device)"));
      }
      // The scopes the grant was made with, as the server reported them: asking
      // for more on refresh is refused (oidc-provider drops offline_access
      // without prompt=consent and then refuses it on refresh).
      std::vector<std::string> scopes = split_scopes(current->scopes);
      if (scopes.empty()) scopes = account.scopes;
      response = with_identities(account, [&](const ClientIdentity& client) {
        RefreshGrant grant{token_url,
                           {client.client_id, client.client_secret.clone(), client.authentication},
                           current->refresh_token.clone(),
                           scopes};
        return request_refresh(http_, grant, policy_, sleeper_);
      });
      break;
    }
    case Flow::App: {
      if (account.public_client() && account.certificate_file.empty()) {
        auto stored = store_.client_secrets(account.name);
        if (!stored) return core::fail(stored.error());
        if (stored->empty()) {
          return core::fail(ErrorClass::Config, "token.no_client_secret",
                            fmt::format("app-only account \"{}\" has no client secret or "
                                        "certificate",
                                        account.name),
                            fmt::format("set client_secret_file or certificate_file in {}, or "
                                        "store one: mailoauth account secret {} < secret.txt",
                                        account.location, account.name));
        }
      }
      response = with_identities(account, [&](const ClientIdentity& client) {
        ClientCredentialsGrant grant;
        grant.token_url = token_url;
        grant.client_id = client.client_id;
        grant.client_secret = client.client_secret.clone();
        grant.scopes = account.scopes;
        grant.authentication = client.authentication;
        grant.assertion = client.assertion;
        return request_client_credentials(http_, grant, policy_, sleeper_);
      });
      break;
    }
    case Flow::ServiceAccount: {
      auto key = load_service_account_key(account.service_account_file);
      if (!key) return core::fail(std::move(key.error()).context(account.name));
      JwtBearerGrant grant{std::move(*key), account.scopes, account.mailbox};
      response = request_jwt_bearer(http_, grant, policy_, sleeper_, clock_);
      break;
    }
  }
  if (!response) return core::fail(std::move(response.error()).context(account.name));
  StoredTokens tokens = tokens_from_response(std::move(*response), requested_at);
  if (tokens.scopes.empty()) {
    tokens.scopes =
        current && !current->scopes.empty() ? current->scopes : join_scopes(account.scopes);
  }
  return tokens;
}

core::Result<StoredTokens> TokenEngine::access_token(const Account& account,
                                                     std::optional<std::chrono::seconds> margin) {
  return store_.get_or_obtain(
      account.name, margin.value_or(account.refresh_margin),
      [&](const std::optional<StoredTokens>& current) { return renew(account, current); });
}

core::Result<StoredTokens> TokenEngine::store_sign_in(const Account& account,
                                                      TokenResponse&& response,
                                                      core::Clock::WallTime requested_at) {
  StoredTokens tokens = tokens_from_response(std::move(response), requested_at);
  if (tokens.scopes.empty()) tokens.scopes = join_scopes(account.scopes);
  tokens.last_refresh_at = requested_at;
  if (auto saved = store_.save(account.name, tokens); !saved) return core::fail(saved.error());
  return tokens;
}

}  // namespace mailoauth::oauth2
