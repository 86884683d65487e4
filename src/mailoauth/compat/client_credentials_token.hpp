// The client-credentials token of the check-mail tools that get one
// (fetch-token, check_imap_mailbox_oauth2), in one place: their shared flags
// (-client-id, -client-secret, -client-secret-file, -certificate-file,
// -private-key-file, -scopes, -token-url, -no-cache, -refresh-margin) with
// check-mail's validation words, the secret read from a file (trailing
// newline dropped, out of `ps`), certificate credentials instead of a secret,
// and the token taken from mailoauth's token cache (oauth2/token_cache)
// unless `no_cache` asks the server every run as check-mail does.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "mailoauth/cli/go_flags.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::compat {

// oauth2::read_secret_source's file reading (size limit, wiping, the reason
// for a refusal); error code `config.secret_file` (Config).
core::Result<core::Secret> read_secret_file(const std::string& path);

// Loads -certificate-file/-private-key-file into the grant (private_key_jwt).
core::Result<void> use_certificate(oauth2::ClientCredentialsGrant& grant,
                                   const std::string& certificate_file,
                                   const std::string& private_key_file);

core::Result<oauth2::StoredTokens> client_credentials_token(
    oauth2::HttpClient& http, const oauth2::ClientCredentialsGrant& grant, bool no_cache,
    std::chrono::seconds refresh_margin, const oauth2::RetryPolicy& policy);

class ClientCredentialsFlags {
 public:
  void add_to(cli::GoFlagSet& flags);
  // check-mail's checks in its order and words (then mailoauth's), and the
  // grant they describe (secret file read, certificate loaded). Config errors.
  core::Result<oauth2::ClientCredentialsGrant> grant();

  bool no_cache() const { return no_cache_; }
  std::chrono::seconds refresh_margin() const { return std::chrono::seconds(refresh_margin_); }

 private:
  std::vector<std::string> scopes_;
  std::string client_id_, client_secret_text_, client_secret_file_, certificate_file_,
      private_key_file_, token_url_;
  bool no_cache_ = false;
  std::int64_t refresh_margin_ = 300;
};

}  // namespace mailoauth::compat
