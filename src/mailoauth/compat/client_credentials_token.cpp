// One client-credentials token for the check-mail tools (see the header).
#include "mailoauth/compat/client_credentials_token.hpp"

#include <memory>

#include <fmt/format.h>

#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/client_assertion.hpp"
#include "mailoauth/oauth2/token_cache.hpp"

namespace mailoauth::compat {

core::Result<core::Secret> read_secret_file(const std::string& path) {
  oauth2::SecretSource source;
  source.kind = oauth2::SecretSource::Kind::File;
  source.where = path;
  return oauth2::read_secret_source(source);
}

core::Result<void> use_certificate(oauth2::ClientCredentialsGrant& grant,
                                   const std::string& certificate_file,
                                   const std::string& private_key_file) {
  auto credentials = oauth2::AssertionCredentials::load(
      certificate_file, private_key_file.empty() ? certificate_file : private_key_file);
  if (!credentials) return core::fail(credentials.error());
  grant.authentication = oauth2::ClientAuthentication::PrivateKeyJwt;
  grant.assertion = std::make_shared<const oauth2::AssertionCredentials>(std::move(*credentials));
  return {};
}

core::Result<oauth2::StoredTokens> client_credentials_token(
    oauth2::HttpClient& http, const oauth2::ClientCredentialsGrant& grant, bool no_cache,
    std::chrono::seconds refresh_margin, const oauth2::RetryPolicy& policy) {
  oauth2::RealSleeper sleeper;
  if (no_cache) {
    const auto requested_at = core::system_clock().now();
    auto response = oauth2::request_client_credentials(http, grant, policy, sleeper);
    if (!response) return core::fail(response.error());
    oauth2::StoredTokens token;
    token.access_token = std::move(response->access_token);
    token.token_type = response->token_type;
    token.refresh_token = std::move(response->refresh_token);
    if (response->expires_in) token.access_expires_at = requested_at + *response->expires_in;
    return token;
  }
  auto state = oauth2::default_state_directory();
  if (!state) return core::fail(state.error());
  auto store = oauth2::open_default_store(*state);
  if (!store) {
    return core::fail(store.error().context("opening the token cache (-no-cache goes without)"));
  }
  return oauth2::cached_client_credentials(*store, http, grant, refresh_margin, policy, sleeper);
}

void ClientCredentialsFlags::add_to(cli::GoFlagSet& flags) {
  flags.add_list("scopes", &scopes_,
                 "One or more scopes requested from the authorization server. E.g., "
                 "\"https://outlook.office365.com/.default\" for O365.");
  flags.add_string("client-id", &client_id_, "",
                   "Application (client) ID created during app registration.");
  flags.add_string("client-secret", &client_secret_text_, "",
                   "Client secret (aka, \"app\" password).");
  flags.add_string("client-secret-file", &client_secret_file_, "",
                   "Read the client secret from `file` instead of -client-secret (keeps it out of "
                   "ps). mailoauth only.");
  flags.add_string("certificate-file", &certificate_file_, "",
                   "Authenticate with the PEM certificate in `file` (uploaded to the app "
                   "registration) instead of a client secret. mailoauth only.");
  flags.add_string("private-key-file", &private_key_file_, "",
                   "The certificate's private key, PEM, not encrypted (default: in "
                   "-certificate-file). mailoauth only.");
  flags.add_string("token-url", &token_url_, "",
                   "The OAuth2 provider's token endpoint URL. E.g., "
                   "\"https://accounts.google.com/o/oauth2/token\" for Google. See example INI "
                   "file for O365 example.");
  flags.add_bool(
      "no-cache", &no_cache_, false,
      "Ask the token endpoint on every run instead of reusing a cached token (check-mail's "
      "behaviour). mailoauth only.");
  flags.add_int("refresh-margin", &refresh_margin_, 300,
                "Reuse a cached token only while it stays valid for this many more seconds. "
                "mailoauth only.");
}

core::Result<oauth2::ClientCredentialsGrant> ClientCredentialsFlags::grant() {
  auto config_error = [](std::string message) {
    return core::fail(core::ErrorClass::Config, "compat.bad_flag", std::move(message));
  };
  core::Secret client_secret = core::Secret::take(std::move(client_secret_text_));
  if (!client_secret_file_.empty()) {
    auto secret = read_secret_file(client_secret_file_);
    if (!secret) return core::fail(secret.error());
    client_secret = std::move(*secret);
  }
  if (client_id_.empty()) return config_error("client ID not provided");
  if (!private_key_file_.empty() && certificate_file_.empty()) {
    return config_error("-private-key-file needs -certificate-file");
  }
  if (!certificate_file_.empty() && !client_secret.empty()) {
    return config_error("give a client secret or a certificate (-certificate-file), not both");
  }
  if (client_secret.empty() && certificate_file_.empty()) {
    return config_error("client secret not provided");
  }
  if (scopes_.empty()) return config_error("scopes not provided");
  for (const auto& scope : scopes_) {
    if (scope.empty()) return config_error("empty scope provided");
  }
  if (token_url_.empty()) return config_error("token URL not provided");
  if (refresh_margin_ < 0) {
    return config_error(fmt::format("invalid refresh margin: {}", refresh_margin_));
  }
  oauth2::ClientCredentialsGrant grant;
  grant.token_url = token_url_;
  grant.client_id = client_id_;
  grant.client_secret = std::move(client_secret);
  grant.scopes = scopes_;
  if (!certificate_file_.empty()) {
    if (auto loaded = use_certificate(grant, certificate_file_, private_key_file_); !loaded) {
      return core::fail(loaded.error());
    }
  }
  return grant;
}

}  // namespace mailoauth::compat
