// One token endpoint request, as every grant makes it: a form of grant
// parameters, the client's authentication (none for a public client, the
// secret in the form, or Basic with RFC 6749 2.3.1's form-escaping first), a
// POST, and the answer parsed into tokens or an explained Error. Retries under
// a RetryPolicy apply to Temporary failures only. Grants build their fields and
// call this; nothing else talks to a token endpoint.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/form.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_response.hpp"

namespace mailoauth::oauth2 {

enum class ClientAuthentication { None, SecretPost, SecretBasic };

struct ClientIdentity {
  std::string client_id;
  core::Secret client_secret;  // empty for a public client
  ClientAuthentication authentication = ClientAuthentication::SecretPost;
};

// The request for one attempt (exposed so tests can check it field by field).
HttpRequest token_endpoint_request(const std::string& url, std::vector<FormField> fields,
                                   const ClientIdentity& client);

core::Result<TokenResponse> request_token(HttpClient& http, const std::string& url,
                                          const std::vector<FormField>& fields,
                                          const ClientIdentity& client, const RetryPolicy& policy,
                                          Sleeper& sleeper);

// "a b c" from {"a", "b", "c"}.
std::string join_scopes(const std::vector<std::string>& scopes);

}  // namespace mailoauth::oauth2
