// The client's side of SMTP AUTH (RFC 4954) before any byte is sent: which
// SASL mechanism to use — the first of the account's preference list that the
// server offers — and how to frame the initial response. RFC 4954 section 4
// keeps a command line within 512 octets (CRLF included), so the response goes
// inline ("AUTH XOAUTH2 <base64>") only when the whole line fits, and
// otherwise waits for the server's empty 334 challenge (the two-step form; a
// Microsoft access token of ~1.6 KB always takes it). An empty initial
// response is sent as "=". Everything here that holds a credential is a
// Secret. No I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::smtp {

inline constexpr std::size_t kMaxCommandLine = 512;  // RFC 5321 4.5.3.1.4, CRLF included

// The bearer mechanisms first: a token is what mailoauth is for.
inline constexpr sasl::Mechanism kDefaultMechanismPreference[] = {sasl::Mechanism::XOAuth2,
                                                                  sasl::Mechanism::OAuthBearer};

// `offered`: the server's AUTH mechanisms (EhloCapabilities::auth_mechanisms).
// Config error when none is offered or none of `allowed`; the message lists
// both sides so the reader sees the mismatch.
core::Result<sasl::Mechanism> choose_mechanism(std::span<const std::string> offered,
                                               std::span<const sasl::Mechanism> allowed,
                                               std::string_view server);

struct AuthCommand {
  core::Secret line;                     // "AUTH XOAUTH2 dXNlc...\r\n" or "AUTH XOAUTH2\r\n"
  std::optional<core::Secret> deferred;  // base64 + CRLF, to answer the first 334
  bool inline_response = false;
};

// `initial_response`: the raw (not base64) response, nullopt for mechanisms
// that start with a challenge (LOGIN).
AuthCommand auth_command(sasl::Mechanism mechanism,
                         const std::optional<core::Secret>& initial_response);

// The base64 of a SASL response with CRLF, as a Secret (the intermediate
// string is wiped).
core::Secret encode_response_line(const core::Secret& raw);

}  // namespace mailoauth::smtp
