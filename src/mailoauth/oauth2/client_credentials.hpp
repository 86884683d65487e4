// The client credentials grant (RFC 6749 section 4.4) with a client secret:
// what app-only access to Exchange Online (SMTP.SendAsApp, IMAP.AccessAsApp) and
// check-mail's plugins use. The secret goes in the form body
// (client_secret_post, Microsoft's and check-mail's way) or in a Basic header
// (client_secret_basic, with RFC 6749's form-escaping of id and secret first);
// or, instead of a secret, a certificate: a signed client assertion
// (private_key_jwt, client_assertion.hpp), what Entra recommends for apps.
// Temporary failures are retried under a RetryPolicy; refusals are not.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_request.hpp"
#include "mailoauth/oauth2/token_response.hpp"

namespace mailoauth::oauth2 {

struct ClientCredentialsGrant {
  std::string token_url;
  std::string client_id;
  core::Secret client_secret;
  std::vector<std::string> scopes;  // joined with spaces
  ClientAuthentication authentication = ClientAuthentication::SecretPost;
  // For PrivateKeyJwt (then client_secret stays empty).
  std::shared_ptr<const AssertionCredentials> assertion;
};

// The HTTP request for one attempt (exposed so tests can check it field by field).
core::Result<HttpRequest> client_credentials_request(const ClientCredentialsGrant& grant);

core::Result<TokenResponse> request_client_credentials(HttpClient& http,
                                                       const ClientCredentialsGrant& grant,
                                                       const RetryPolicy& policy, Sleeper& sleeper);

}  // namespace mailoauth::oauth2
