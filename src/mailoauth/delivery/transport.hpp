// The words a sending decision is made of, as enums instead of strings: how a
// connection is protected (TlsMode) and which way a message leaves
// (Transport). The configuration, the command line and the relay spell them
// the same way, so parsing and printing live here once; a typo becomes a
// Config error that lists the words that exist. No I/O.
#pragma once

#include <optional>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/account.hpp"

namespace mailoauth::delivery {

enum class TlsMode {
  None,      // plain text: a local test server or relay only
  StartTls,  // plain text, then STARTTLS before anything else (SMTP 587/25, IMAP 143)
  Implicit,  // TLS from the first byte (SMTP 465, IMAP 993; RFC 8314)
};

// "implicit" (also "tls", "ssl"), "starttls", "none"; case-insensitive.
core::Result<TlsMode> parse_tls_mode(std::string_view text);
std::string_view to_string(TlsMode mode);

enum class Transport {
  Smtp,   // SMTP submission with SASL
  Graph,  // Microsoft Graph sendMail
  Auto,   // SMTP, then Graph when the provider refuses SMTP AUTH itself (graph_fallback)
};

// "smtp", "graph", "auto"; case-insensitive.
core::Result<Transport> parse_transport(std::string_view text);
std::string_view to_string(Transport transport);

// The transport for a message: the one asked for, else the account's
// `transport`, else SMTP. An account's unknown word is a Config error.
core::Result<Transport> choose_transport(std::optional<Transport> requested,
                                         const oauth2::Account* account);

}  // namespace mailoauth::delivery
