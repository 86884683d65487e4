// The authorization code grant (RFC 6749 section 4.1) with PKCE and state, as
// a native app runs it: the authorization URL a person opens, the redirect
// the browser brings back to the loopback listener (code, state, error; and
// `iss`, checked when present, RFC 9207), and the code exchanged for tokens.
// Pure functions and one token request; the listener and the browser are in
// loopback_listener and browser_sign_in.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

struct AuthorizationRequest {
  std::string authorize_url;
  std::string client_id;
  std::string redirect_uri;
  std::vector<std::string> scopes;
  std::string state;
  std::string code_challenge;  // S256
  std::string login_hint;      // omitted when empty
  std::vector<std::pair<std::string, std::string>> extra_parameters;
};

std::string authorization_url(const AuthorizationRequest& request);

// Percent-decoded query parameters of a request target "/path?a=b&c=d"
// (`+` is a space). NUL, CR and LF in a value are refused.
core::Result<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view target);

// The code from a redirect target, or why there is none: the provider's
// error (access_denied, consent_required, ...) explained, a state that is
// not ours refused, an `iss` other than `expected_issuer` (when both are
// given) refused.
core::Result<core::Secret> code_from_redirect(std::string_view target,
                                              std::string_view expected_state,
                                              std::string_view expected_issuer = {});

core::Result<TokenResponse> exchange_code(HttpClient& http, const std::string& token_url,
                                          const ClientIdentity& client, const core::Secret& code,
                                          const std::string& redirect_uri,
                                          const core::Secret& verifier, const RetryPolicy& policy,
                                          Sleeper& sleeper);

}  // namespace mailoauth::oauth2
