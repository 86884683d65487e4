// One client-credentials token for the check-mail tools (see the header).
#include "mailoauth/compat/client_credentials_token.hpp"

#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "mailoauth/oauth2/client_assertion.hpp"
#include "mailoauth/oauth2/token_cache.hpp"

namespace mailoauth::compat {

core::Result<core::Secret> read_secret_file(const std::string& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return core::fail(core::ErrorClass::Config, "compat.secret_file",
                      fmt::format("cannot read the client secret file {}", path));
  }
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return core::Secret::take(std::move(text));
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

}  // namespace mailoauth::compat
