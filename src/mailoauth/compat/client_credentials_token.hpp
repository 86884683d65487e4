// The client-credentials token of the check-mail tools that get one
// (fetch-token, check_imap_mailbox_oauth2), in one place: the secret read
// from a file (trailing newline dropped, out of `ps`), certificate
// credentials instead of a secret, and the token taken from mailoauth's token
// cache (oauth2/token_cache) unless `no_cache` asks the server every run as
// check-mail does.
#pragma once

#include <chrono>
#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::compat {

// Error code `compat.secret_file` (Config).
core::Result<core::Secret> read_secret_file(const std::string& path);

// Loads -certificate-file/-private-key-file into the grant (private_key_jwt).
core::Result<void> use_certificate(oauth2::ClientCredentialsGrant& grant,
                                   const std::string& certificate_file,
                                   const std::string& private_key_file);

core::Result<oauth2::StoredTokens> client_credentials_token(
    oauth2::HttpClient& http, const oauth2::ClientCredentialsGrant& grant, bool no_cache,
    std::chrono::seconds refresh_margin, const oauth2::RetryPolicy& policy);

}  // namespace mailoauth::compat
