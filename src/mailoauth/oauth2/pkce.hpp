// PKCE (RFC 7636) and the `state` parameter for the authorization code grant.
// The verifier is 43 characters of base64url over 32 random bytes (256 bits,
// inside the unreserved set RFC 7636 section 4.1 allows); the challenge is
// base64url(SHA-256(verifier)) without padding (S256; "plain" is never used).
// `state` is 128 random bits, checked on the redirect so a sign-in started
// elsewhere (CSRF) cannot be injected into ours.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

core::Secret make_code_verifier();
std::string code_challenge_s256(std::string_view verifier);
std::string make_state();

}  // namespace mailoauth::oauth2
