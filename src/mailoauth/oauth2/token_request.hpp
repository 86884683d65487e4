// One token endpoint request, as every grant makes it: a form of grant
// parameters, the client's authentication (none for a public client, the
// secret in the form, Basic with RFC 6749 2.3.1's form-escaping first, or a
// signed client assertion made from a certificate, fresh for every attempt
// because its jti may be used once), a POST, and the answer parsed into tokens
// or an explained Error. Retries under a RetryPolicy apply to Temporary
// failures only. Grants build their fields and call this; nothing else talks
// to a token endpoint.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/form.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_response.hpp"

namespace mailoauth::oauth2 {

class AssertionCredentials;  // client_assertion.hpp

// PrivateKeyJwt: RFC 7523 client_assertion signed with `assertion`'s key.
enum class ClientAuthentication { None, SecretPost, SecretBasic, PrivateKeyJwt };

struct ClientIdentity {
  std::string client_id;
  core::Secret client_secret;  // empty for a public client
  ClientAuthentication authentication = ClientAuthentication::SecretPost;
  // The certificate and key for PrivateKeyJwt; shared because loading them is
  // work and every grant copy of the identity may use them.
  std::shared_ptr<const AssertionCredentials> assertion = nullptr;
};

// The request for one attempt (exposed so tests can check it field by field).
// It fails only for PrivateKeyJwt (no credentials, or signing failed).
core::Result<HttpRequest> token_endpoint_request(const std::string& url,
                                                 std::vector<FormField> fields,
                                                 const ClientIdentity& client);

// Sends the request `build` makes, once per attempt, under `policy`: for
// grants whose request is not a client's form (the JWT bearer grant).
core::Result<TokenResponse> request_token_built_by(
    HttpClient& http, const RetryPolicy& policy, Sleeper& sleeper,
    const std::function<core::Result<HttpRequest>()>& build);

core::Result<TokenResponse> request_token(HttpClient& http, const std::string& url,
                                          const std::vector<FormField>& fields,
                                          const ClientIdentity& client, const RetryPolicy& policy,
                                          Sleeper& sleeper);

// "a b c" from {"a", "b", "c"}, and back (runs of spaces count as one).
std::string join_scopes(const std::vector<std::string>& scopes);
std::vector<std::string> split_scopes(std::string_view text);

}  // namespace mailoauth::oauth2
