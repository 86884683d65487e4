// Client-credentials tokens cached in the token store, so repeated tool runs
// (a Nagios check every minute, a cron job, fetch-token in a loop) reuse one
// token until it nears expiry instead of asking the identity server each time:
// check-mail makes one token request per run, mailoauth one per token lifetime.
// The cache entry is keyed by a hash of everything that decides the token:
// token URL, client id, scopes (sorted), subject, and the client secret itself
// (or, with a certificate, its SHA-256 thumbprint), so a changed or wrong
// secret or certificate never gets a token obtained with another one.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::oauth2 {

// "cc:<64 hex digits>", the account name under which the token is stored.
std::string client_credentials_cache_key(const ClientCredentialsGrant& grant,
                                         std::string_view subject = {});

// $MAILOAUTH_STATE_DIR, else $XDG_STATE_HOME/mailoauth, else ~/.local/state/mailoauth
// with ~ from $HOME or, when HOME is unset (daemons), from the password database.
core::Result<std::filesystem::path> default_state_directory();

// A token valid for at least `margin`, from the store or, when there is none,
// from the identity server (one request, even with concurrent callers).
core::Result<StoredTokens> cached_client_credentials(TokenStore& store, HttpClient& http,
                                                     const ClientCredentialsGrant& grant,
                                                     std::chrono::seconds margin,
                                                     const RetryPolicy& policy, Sleeper& sleeper);

// Opens the store in `state_directory` (tokens.db, key file store.key unless the
// environment names another key source).
core::Result<TokenStore> open_default_store(const std::filesystem::path& state_directory);

}  // namespace mailoauth::oauth2
