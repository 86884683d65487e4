// Building and sending the client credentials request. The form is built per
// attempt from the grant, so no secret-bearing string outlives an attempt.
#include "mailoauth/oauth2/client_credentials.hpp"

#include <fmt/format.h>

namespace mailoauth::oauth2 {

namespace {

std::vector<FormField> fields_of(const std::string& scope) {
  std::vector<FormField> fields = {{"grant_type", "client_credentials"}};
  if (!scope.empty()) fields.emplace_back("scope", scope);
  return fields;
}

ClientIdentity identity_of(const ClientCredentialsGrant& grant) {
  return ClientIdentity{grant.client_id, grant.client_secret.clone(), grant.authentication,
                        grant.assertion};
}

}  // namespace

core::Result<HttpRequest> client_credentials_request(const ClientCredentialsGrant& grant) {
  const std::string scope = join_scopes(grant.scopes);
  return token_endpoint_request(grant.token_url, fields_of(scope), identity_of(grant));
}

core::Result<TokenResponse> request_client_credentials(HttpClient& http,
                                                       const ClientCredentialsGrant& grant,
                                                       const RetryPolicy& policy,
                                                       Sleeper& sleeper) {
  const bool has_credential = grant.authentication == ClientAuthentication::PrivateKeyJwt
                                  ? grant.assertion != nullptr
                                  : !grant.client_secret.empty();
  if (grant.token_url.empty() || grant.client_id.empty() || !has_credential) {
    return core::fail(core::ErrorClass::Config, "oauth2.incomplete_grant",
                      "client credentials need a token URL, a client id and a client secret "
                      "(or a certificate and its key)");
  }
  const std::string scope = join_scopes(grant.scopes);
  return request_token(http, grant.token_url, fields_of(scope), identity_of(grant), policy,
                       sleeper);
}

}  // namespace mailoauth::oauth2
