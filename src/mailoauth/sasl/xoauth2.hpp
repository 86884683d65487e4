// XOAUTH2, the bearer-token mechanism of Google and Microsoft:
//   "user=" USER 0x01 "auth=Bearer " TOKEN 0x01 0x01
// (Google's "XOAUTH2 protocol" page; Microsoft's "Authenticate an IMAP, POP or
// SMTP connection using OAuth"). Both sides live here as pure functions: the
// client builds the response (a Secret, since it carries the token); the server
// parses one into the user and the token. Base64 is the protocol layer's job.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::sasl {

core::Result<core::Secret> xoauth2_initial_response(std::string_view user,
                                                    const core::Secret& token);

struct XOAuth2Credentials {
  std::string user;
  core::Secret token;
};

// Server side. Fields may come in any order; unknown fields are ignored; user
// and auth are required, once each; the auth scheme must be Bearer (any case).
core::Result<XOAuth2Credentials> parse_xoauth2_response(
    std::string_view response, std::size_t max_size = kDefaultMaxResponseSize);

// What a client sends after a failure challenge: an empty response.
inline constexpr std::string_view kXOAuth2FailureAnswer = "";

}  // namespace mailoauth::sasl
