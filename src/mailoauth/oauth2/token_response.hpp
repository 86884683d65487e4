// What a token endpoint answers, turned into either the tokens or an Error an
// admin can act on. Success (RFC 6749 section 5.1) is a JSON object with
// access_token and token_type (Bearer), usually expires_in, sometimes a
// refresh_token (which rotates: the new one must always be kept), scope and
// id_token. Failure (section 5.2) is a JSON object with `error`; Microsoft adds
// error_codes (AADSTS numbers), trace_id, correlation_id and a multi-line
// error_description. The Error carries the OAuth error, the AADSTS number, the
// server's own first line, the ids Microsoft support asks for, and a remedy
// from the catalogue. HTTP 429 and 5xx, and bodies that are not JSON, are
// Temporary: the server is busy or something between us is broken.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

struct TokenResponse {
  core::Secret access_token;
  std::string token_type;
  std::optional<std::chrono::seconds> expires_in;
  core::Secret refresh_token;  // empty when the server sent none
  core::Secret id_token;       // empty when the server sent none
  std::string scope;           // as granted; empty when the server did not say
};

// The fields of an OAuth error response, as sent.
struct TokenEndpointError {
  std::string error;
  std::string description;  // first line only
  std::vector<std::int64_t> error_codes;
  std::string trace_id;
  std::string correlation_id;
  std::string error_uri;
};

// Parses the body of an error response; nullopt when it is not one.
std::optional<TokenEndpointError> parse_token_endpoint_error(std::string_view body);

// `retry_after` comes from the HTTP Retry-After header, if any; it is put in
// the message of a Temporary error so the caller's backoff can honour it.
core::Result<TokenResponse> parse_token_response(
    long http_status, std::string_view body,
    std::optional<std::chrono::seconds> retry_after = std::nullopt);

}  // namespace mailoauth::oauth2
