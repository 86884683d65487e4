// The value of an "auth" field in XOAUTH2 and OAUTHBEARER: an HTTP Authorization
// value "Bearer <token>" (RFC 6750 section 2.1; the scheme is case-insensitive,
// one space, then a b64token). Shared by both mechanisms' server-side parsers.
#pragma once

#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::sasl {

// Returns the token, or an error saying what is wrong (never quoting the token).
core::Result<core::Secret> parse_bearer_authorization(std::string_view value);

}  // namespace mailoauth::sasl
