// LEGACY: the resource owner password credentials grant (RFC 6749 section 4.3,
// "ROPC"): the program sends a user's name and password to the token
// endpoint. It exists for old setups that cannot do anything else and should
// not be chosen for new ones: it fails whenever multi-factor authentication or
// a Conditional Access policy applies (AADSTS50076/50079/53003), works only for
// Microsoft work or school accounts (never personal accounts, so a token URL
// for the `consumers` tenant is refused before anything is sent), and puts a
// password where a token should be. The device flow or the authorization code
// flow replace it; every refusal's remedy says so.
#pragma once

#include <string>
#include <vector>

#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

struct PasswordGrant {
  std::string token_url;
  ClientIdentity client;  // usually public (ClientAuthentication::None)
  std::string username;
  core::Secret password;
  std::vector<std::string> scopes;
};

// The HTTP request for one attempt (exposed so tests can check it field by field).
core::Result<HttpRequest> password_grant_request(const PasswordGrant& grant);

core::Result<TokenResponse> request_password_grant(HttpClient& http, const PasswordGrant& grant,
                                                   const RetryPolicy& policy, Sleeper& sleeper);

}  // namespace mailoauth::oauth2
