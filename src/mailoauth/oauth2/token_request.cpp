// The shared token endpoint request.
#include "mailoauth/oauth2/token_request.hpp"

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/clock.hpp"
#include "mailoauth/oauth2/client_assertion.hpp"

namespace mailoauth::oauth2 {

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined.push_back(' ');
    joined += scope;
  }
  return joined;
}

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> scopes;
  while (!text.empty()) {
    const auto space = text.find(' ');
    if (space != 0) scopes.emplace_back(text.substr(0, space));
    if (space == std::string_view::npos) break;
    text.remove_prefix(space + 1);
  }
  return scopes;
}

core::Result<HttpRequest> token_endpoint_request(const std::string& url,
                                                 std::vector<FormField> fields,
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
    case ClientAuthentication::PrivateKeyJwt: {
      if (!client.assertion) {
        return core::fail(core::ErrorClass::Bug, "oauth2.no_assertion_credentials",
                          "certificate authentication was chosen without a certificate and key");
      }
      // The assertion's audience is the URL it is sent to (Entra: the token endpoint).
      auto assertion = make_client_assertion(*client.assertion, client.client_id, url,
                                             core::system_clock().now());
      if (!assertion) return core::fail(std::move(assertion.error()));
      fields.emplace_back("client_id", client.client_id);
      fields.emplace_back("client_assertion_type", kClientAssertionType);
      fields.emplace_back("client_assertion", assertion->reveal());
      request.body = form_encode(fields);
      return request;
    }
  }
  request.body = form_encode(fields);
  return request;
}

core::Result<TokenResponse> request_token_built_by(
    HttpClient& http, const RetryPolicy& policy, Sleeper& sleeper,
    const std::function<core::Result<HttpRequest>()>& build) {
  return with_retries<TokenResponse>(policy, sleeper, [&]() -> core::Result<TokenResponse> {
    auto request = build();
    if (!request) return core::fail(std::move(request.error()));
    auto response = http.perform(*request);
    if (!response) return core::fail(std::move(response.error()));
    return parse_token_response(response->status, response->body, response->retry_after);
  });
}

core::Result<TokenResponse> request_token(HttpClient& http, const std::string& url,
                                          const std::vector<FormField>& fields,
                                          const ClientIdentity& client, const RetryPolicy& policy,
                                          Sleeper& sleeper) {
  return request_token_built_by(http, policy, sleeper,
                                [&] { return token_endpoint_request(url, fields, client); });
}

}  // namespace mailoauth::oauth2
