// The refresh request. A refusal here (invalid_grant: revoked, expired,
// already used) is Permanent and the catalogue's remedy says to sign in again.
#include "mailoauth/oauth2/refresh.hpp"

namespace mailoauth::oauth2 {

core::Result<TokenResponse> request_refresh(HttpClient& http, const RefreshGrant& grant,
                                            const RetryPolicy& policy, Sleeper& sleeper) {
  if (grant.token_url.empty() || grant.client.client_id.empty() || grant.refresh_token.empty()) {
    return core::fail(core::ErrorClass::Config, "oauth2.incomplete_grant",
                      "a refresh needs a token URL, a client id and a refresh token");
  }
  const std::string scope = join_scopes(grant.scopes);
  std::vector<FormField> fields = {{"grant_type", "refresh_token"},
                                   {"refresh_token", grant.refresh_token.reveal()}};
  if (!scope.empty()) fields.emplace_back("scope", scope);
  return request_token(http, grant.token_url, fields, grant.client, policy, sleeper);
}

}  // namespace mailoauth::oauth2
