// TlsMode and Transport spelled out and read back; see transport.hpp.
#include "mailoauth/delivery/transport.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::delivery {

using core::ErrorClass;

core::Result<TlsMode> parse_tls_mode(std::string_view text) {
  if (core::iequals(text, "implicit") || core::iequals(text, "tls") || core::iequals(text, "ssl")) {
    return TlsMode::Implicit;
  }
  if (core::iequals(text, "starttls")) return TlsMode::StartTls;
  if (core::iequals(text, "none")) return TlsMode::None;
  return core::fail(ErrorClass::Config, "delivery.bad_tls_mode",
                    fmt::format("unknown TLS mode \"{}\"", core::escape_control_characters(text)),
                    "use implicit (SMTP 465, IMAP 993), starttls (SMTP 587 or 25, IMAP 143) or "
                    "none (a local test server only)");
}

std::string_view to_string(TlsMode mode) {
  switch (mode) {
    case TlsMode::None:
      return "none";
    case TlsMode::StartTls:
      return "starttls";
    case TlsMode::Implicit:
      return "implicit";
  }
  return "?";
}

core::Result<Transport> parse_transport(std::string_view text) {
  if (core::iequals(text, "smtp")) return Transport::Smtp;
  if (core::iequals(text, "graph")) return Transport::Graph;
  if (core::iequals(text, "auto")) return Transport::Auto;
  return core::fail(ErrorClass::Config, "delivery.bad_transport",
                    fmt::format("unknown transport \"{}\"", core::escape_control_characters(text)),
                    "use smtp, graph (Microsoft Graph sendMail) or auto (SMTP, then Graph when "
                    "the provider refuses SMTP AUTH)");
}

std::string_view to_string(Transport transport) {
  switch (transport) {
    case Transport::Smtp:
      return "smtp";
    case Transport::Graph:
      return "graph";
    case Transport::Auto:
      return "auto";
  }
  return "?";
}

core::Result<Transport> choose_transport(std::optional<Transport> requested,
                                         const oauth2::Account* account) {
  if (requested) return *requested;
  if (account == nullptr || account->transport.empty()) return Transport::Smtp;
  auto parsed = parse_transport(account->transport);
  if (!parsed) {
    return core::fail(std::move(parsed.error()).context(fmt::format("account {}", account->name)));
  }
  return *parsed;
}

}  // namespace mailoauth::delivery
