// Redaction of credentials in protocol traces. Debug output is where secrets leak
// (a pasted `-v` log in a support ticket), so every line a client or server sends
// or receives goes through redact_wire_line() before it is logged. It knows the
// places credentials sit on the wire:
//   SMTP/POP3 `AUTH MECH <initial-response>`, IMAP `tag AUTHENTICATE MECH <ir>`,
//   IMAP `tag LOGIN user <password>`, POP3 `PASS <password>`,
//   HTTP `Authorization: <scheme> <credentials>`,
//   form or JSON fields access_token, refresh_token, id_token, client_secret,
//   client_assertion, assertion, password, code, code_verifier, device_code.
// Each is replaced by `<redacted N bytes>` so a reader still sees the shape and the
// size (a 1584-byte XOAUTH2 blob tells a Microsoft token from a Google one).
// A line that is nothing but a credential (a SASL response after `334` or `+`) is
// marked WireContent::Credentials by the protocol code, which knows the state.
#pragma once

#include <string>
#include <string_view>

namespace mailoauth::core {

enum class WireContent {
  Normal,       // scan for known credential positions
  Credentials,  // the whole line is a credential (SASL continuation response)
};

std::string redact_wire_line(std::string_view line, WireContent content = WireContent::Normal);

}  // namespace mailoauth::core
