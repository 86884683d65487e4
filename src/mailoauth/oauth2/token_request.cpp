// The shared token endpoint request.
#include "mailoauth/oauth2/token_request.hpp"

#include "mailoauth/core/base64.hpp"

namespace mailoauth::oauth2 {

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined.push_back(' ');
    joined += scope;
  }
  return joined;
}

HttpRequest token_endpoint_request(const std::string& url, std::vector<FormField> fields,
                                   const ClientIdentity& client) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  switch (client.authentication) {
    case ClientAuthentication::None:
      fields.emplace_back("client_id", client.client_id);
      break;
    case ClientAuthentication::SecretPost:
      fields.emplace_back("client_id", client.client_id);
      fields.emplace_back("client_secret", client.client_secret.reveal());
      break;
    case ClientAuthentication::SecretBasic: {
      std::string credentials =
          form_escape(client.client_id) + ":" + form_escape(client.client_secret.reveal());
      request.authorization = core::Secret("Basic " + core::base64::encode(credentials));
      core::secure_wipe(credentials.data(), credentials.size());
      break;
    }
  }
  request.body = form_encode(fields);
  return request;
}

core::Result<TokenResponse> request_token(HttpClient& http, const std::string& url,
                                          const std::vector<FormField>& fields,
                                          const ClientIdentity& client, const RetryPolicy& policy,
                                          Sleeper& sleeper) {
  return with_retries<TokenResponse>(policy, sleeper, [&]() -> core::Result<TokenResponse> {
    auto response = http.perform(token_endpoint_request(url, fields, client));
    if (!response) return core::fail(std::move(response.error()));
    return parse_token_response(response->status, response->body, response->retry_after);
  });
}

}  // namespace mailoauth::oauth2
