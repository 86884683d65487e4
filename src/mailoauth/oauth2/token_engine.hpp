// The token engine: "a valid access token for this account", the one
// question every tool asks. It answers from the token store when the stored
// token stays valid for the account's refresh margin; otherwise it renews —
// with the refresh token (delegated accounts; the rotated refresh token is
// stored before the answer is returned), with client credentials (app-only
// accounts), a service-account assertion, or the legacy password grant — all
// under the store's cross-process lock, so concurrent callers cause one
// request. It never asks a person anything: an account without a usable
// token comes back as a Config error that names the `token login` to run.
// Client secrets are tried in order (current, then previous): a current
// secret refused with invalid_client falls back to the previous one during a
// rotation, and says so in a warning.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_response.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::oauth2 {

// A client secret with where it came from, for status and fallbacks.
struct ResolvedClientSecret {
  core::Secret value;
  std::string slot;    // "current" or "previous"
  std::string origin;  // "file /etc/...", "environment X", "store", "config.toml:4"
  std::optional<core::Clock::WallTime> expires_at;
};

class TokenEngine {
 public:
  TokenEngine(TokenStore& store, HttpClient& http, RetryPolicy policy, Sleeper& sleeper,
              const core::Clock& clock = core::system_clock(), core::Logger* logger = nullptr);

  // A token valid for at least `margin` (default: the account's refresh margin).
  core::Result<StoredTokens> access_token(const Account& account,
                                          std::optional<std::chrono::seconds> margin = {});

  // Keeps the tokens of a completed sign-in (login), replacing what was stored.
  core::Result<StoredTokens> store_sign_in(const Account& account, TokenResponse&& response,
                                           core::Clock::WallTime requested_at);

  // The account's client secrets in the order they are tried: those of the
  // configuration when it names any, else those sealed in the store.
  core::Result<std::vector<ResolvedClientSecret>> client_secrets(const Account& account);

  // The identities to present, in order (one without a secret for a public client).
  core::Result<std::vector<ClientIdentity>> client_identities(const Account& account);

  // The account's endpoints, discovering them from `issuer` when needed.
  core::Result<Endpoints> endpoints(const Account& account);

  TokenStore& store() { return store_; }
  HttpClient& http() { return http_; }
  const RetryPolicy& policy() const { return policy_; }
  Sleeper& sleeper() { return sleeper_; }
  const core::Clock& clock() const { return clock_; }

 private:
  core::Result<StoredTokens> renew(const Account& account,
                                   const std::optional<StoredTokens>& current);
  // Runs `attempt` with each identity until one is not refused as invalid_client.
  core::Result<TokenResponse> with_identities(
      const Account& account,
      const std::function<core::Result<TokenResponse>(const ClientIdentity&)>& attempt);

  TokenStore& store_;
  HttpClient& http_;
  RetryPolicy policy_;
  Sleeper& sleeper_;
  const core::Clock& clock_;
  core::Logger* logger_;
};

// StoredTokens from a token response obtained at `requested_at` (expiry
// counted from before the request, so never later than the server's).
StoredTokens tokens_from_response(TokenResponse&& response, core::Clock::WallTime requested_at);

}  // namespace mailoauth::oauth2
