// Cache keys with libsodium's SHA-256 and the glue between the grant and the store.
#include "mailoauth/oauth2/token_cache.hpp"

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <pwd.h>
#include <sodium.h>
#include <unistd.h>

#include "mailoauth/oauth2/client_assertion.hpp"

namespace mailoauth::oauth2 {

std::string client_credentials_cache_key(const ClientCredentialsGrant& grant,
                                         std::string_view subject) {
  std::vector<std::string> scopes = grant.scopes;
  std::sort(scopes.begin(), scopes.end());
  // Fields separated by a byte no URL, id or scope contains.
  std::string material = grant.token_url + '\0' + grant.client_id + '\0';
  for (const auto& scope : scopes) material += scope + ' ';
  material += '\0';
  material.append(subject);
  material += '\0';
  if (grant.authentication == ClientAuthentication::PrivateKeyJwt && grant.assertion) {
    // The certificate stands where the secret would: another certificate, another entry.
    material += "x5t#S256:" + grant.assertion->thumbprint_sha256();
  } else {
    material.append(grant.client_secret.reveal());
  }
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(material.data()),
                     material.size());
  core::secure_wipe(material.data(), material.size());
  std::string key = "cc:";
  for (unsigned char byte : digest) key += fmt::format("{:02x}", byte);
  return key;
}

core::Result<std::filesystem::path> default_state_directory() {
  if (const char* explicit_dir = std::getenv("MAILOAUTH_STATE_DIR");
      explicit_dir && *explicit_dir) {
    return std::filesystem::path(explicit_dir);
  }
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "mailoauth";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".local" / "state" / "mailoauth";
  }
  // Daemons (Debian's nagios4 and icinga2 units, cron on some systems) run
  // programs without HOME: the user's home from the password database then.
  std::vector<char> buffer(16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(::geteuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found &&
      found->pw_dir && *found->pw_dir && std::string_view(found->pw_dir) != "/") {
    return std::filesystem::path(found->pw_dir) / ".local" / "state" / "mailoauth";
  }
  return core::fail(core::ErrorClass::Config, "store.no_state_directory",
                    "no place for the token store: MAILOAUTH_STATE_DIR, XDG_STATE_HOME and HOME "
                    "are unset and this user has no home directory in the password database",
                    "set MAILOAUTH_STATE_DIR to a private directory");
}

core::Result<TokenStore> open_default_store(const std::filesystem::path& state_directory) {
  auto key = load_store_key(store_key_sources_from_environment(state_directory / "store.key"));
  if (!key) return core::fail(key.error());
  return TokenStore::open(state_directory / "tokens.db", std::move(*key));
}

core::Result<StoredTokens> cached_client_credentials(TokenStore& store, HttpClient& http,
                                                     const ClientCredentialsGrant& grant,
                                                     std::chrono::seconds margin,
                                                     const RetryPolicy& policy, Sleeper& sleeper) {
  const std::string account = client_credentials_cache_key(grant);
  return store.get_or_obtain(account, margin, [&](const std::optional<StoredTokens>&) {
    const auto requested_at = core::system_clock().now();
    auto response = request_client_credentials(http, grant, policy, sleeper);
    if (!response) return core::Result<StoredTokens>(core::fail(std::move(response.error())));
    StoredTokens tokens;
    tokens.access_token = std::move(response->access_token);
    tokens.token_type = response->token_type;
    tokens.scopes = response->scope;
    tokens.access_obtained_at = requested_at;
    // Expiry counted from before the request: never later than the server's.
    if (response->expires_in) tokens.access_expires_at = requested_at + *response->expires_in;
    return core::Result<StoredTokens>(std::move(tokens));
  });
}

}  // namespace mailoauth::oauth2
