// The check-mail spellings of --net-type and --min-tls, parsed into the enums
// the stream uses; an unknown word is a Config error that lists the valid ones.
#include "mailoauth/net/connection_settings.hpp"

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::net {

using core::ErrorClass;

core::Result<NetType> parse_net_type(std::string_view text) {
  if (text == "auto") return NetType::Auto;
  if (text == "tcp4") return NetType::Tcp4;
  if (text == "tcp6") return NetType::Tcp6;
  return core::fail(
      ErrorClass::Config, "net.bad_net_type",
      fmt::format("unknown network type \"{}\"", core::escape_control_characters(text)),
      "use auto, tcp4 or tcp6");
}

core::Result<TlsVersion> parse_tls_version(std::string_view text) {
  if (text == "tls10") return TlsVersion::Tls10;
  if (text == "tls11") return TlsVersion::Tls11;
  if (text == "tls12") return TlsVersion::Tls12;
  if (text == "tls13") return TlsVersion::Tls13;
  return core::fail(
      ErrorClass::Config, "net.bad_tls_version",
      fmt::format("unknown TLS version \"{}\"", core::escape_control_characters(text)),
      "use tls10, tls11, tls12 (default) or tls13");
}

std::string_view to_string(TlsVersion version) {
  switch (version) {
    case TlsVersion::Tls10:
      return "tls10";
    case TlsVersion::Tls11:
      return "tls11";
    case TlsVersion::Tls12:
      return "tls12";
    case TlsVersion::Tls13:
      return "tls13";
  }
  return "?";
}

}  // namespace mailoauth::net
