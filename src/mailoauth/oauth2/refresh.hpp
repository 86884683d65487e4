// The refresh token grant (RFC 6749 section 6): a new access token, and usually
// a new refresh token, for the one kept from a sign-in. Microsoft and
// oidc-provider rotate refresh tokens on every use; the caller must store the
// new one before anything else (the token store does), because the old one
// soon stops working — at once, with oidc-provider, which then also revokes
// the whole grant if the old one is presented again.
#pragma once

#include <string>
#include <vector>

#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

struct RefreshGrant {
  std::string token_url;
  ClientIdentity client;
  core::Secret refresh_token;
  std::vector<std::string> scopes;  // empty: the scopes of the original grant
};

core::Result<TokenResponse> request_refresh(HttpClient& http, const RefreshGrant& grant,
                                            const RetryPolicy& policy, Sleeper& sleeper);

}  // namespace mailoauth::oauth2
