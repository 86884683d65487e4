// Building and sending the client credentials request. The form is built per
// attempt from the grant, so no secret-bearing string outlives an attempt.
#include "mailoauth/oauth2/client_credentials.hpp"

#include <fmt/format.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/oauth2/form.hpp"

namespace mailoauth::oauth2 {

HttpRequest client_credentials_request(const ClientCredentialsGrant& grant) {
  std::string scope;
  for (const auto& item : grant.scopes) {
    if (!scope.empty()) scope.push_back(' ');
    scope += item;
  }
  HttpRequest request;
  request.method = "POST";
  request.url = grant.token_url;
  std::vector<FormField> fields = {{"grant_type", "client_credentials"}};
  if (!scope.empty()) fields.emplace_back("scope", scope);
  if (grant.authentication == ClientAuthentication::SecretPost) {
    fields.emplace_back("client_id", grant.client_id);
    fields.emplace_back("client_secret", grant.client_secret.reveal());
  } else {
    std::string credentials =
        form_escape(grant.client_id) + ":" + form_escape(grant.client_secret.reveal());
    request.authorization = core::Secret("Basic " + core::base64::encode(credentials));
    core::secure_wipe(credentials.data(), credentials.size());
  }
  request.body = form_encode(fields);
  return request;
}

core::Result<TokenResponse> request_client_credentials(HttpClient& http,
                                                       const ClientCredentialsGrant& grant,
                                                       const RetryPolicy& policy,
                                                       Sleeper& sleeper) {
  if (grant.token_url.empty() || grant.client_id.empty() || grant.client_secret.empty()) {
    return core::fail(core::ErrorClass::Config, "oauth2.incomplete_grant",
                      "client credentials need a token URL, a client id and a client secret");
  }
  return with_retries<TokenResponse>(policy, sleeper, [&]() -> core::Result<TokenResponse> {
    auto response = http.perform(client_credentials_request(grant));
    if (!response) return core::fail(std::move(response.error()));
    return parse_token_response(response->status, response->body, response->retry_after);
  });
}

}  // namespace mailoauth::oauth2
