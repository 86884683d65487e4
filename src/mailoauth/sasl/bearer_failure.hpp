// The JSON a server sends as a challenge when it refuses a bearer token, before
// the final failure reply. XOAUTH2 (Google, Microsoft) sends
// {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}; RFC 7628
// OAUTHBEARER sends {"status":"invalid_token","scope":"...",
// "openid-configuration":"..."}. The client must answer with an empty response
// (XOAUTH2) or a single 0x01 (OAUTHBEARER) and then read the real failure; a
// client that does not answer hangs until the server times out. The parser
// accepts either shape, ignores fields it does not know, and refuses anything
// that is not a JSON object of strings where strings belong.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::sasl {

struct BearerFailure {
  std::string status;                // "401", "invalid_token", ...
  std::string schemes;               // XOAUTH2 only: "bearer"
  std::string scope;                 // the scope the server wanted
  std::string openid_configuration;  // OAUTHBEARER only: discovery URL
};

// Parses the decoded challenge (JSON, at most 64 KiB).
core::Result<BearerFailure> parse_bearer_failure(std::string_view json);

// Builds the challenge a server sends (used by mailoauth's SMTP server).
std::string xoauth2_failure_challenge(const BearerFailure& failure);
std::string oauthbearer_failure_challenge(const BearerFailure& failure);

// "status 401, scope https://mail.google.com/" for messages; empty parts omitted.
std::string describe(const BearerFailure& failure);

}  // namespace mailoauth::sasl
