// How to reach a mail server, as plain data with no Asio in sight: the address
// family (check-mail's --net-type), the minimum TLS version (--min-tls), the CA
// file and whether certificates are verified. Kept apart from stream.hpp so the
// synchronous client facades and the command-line tools can hold and parse
// these settings without compiling Asio.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::net {

enum class NetType { Auto, Tcp4, Tcp6 };
enum class TlsVersion { Tls10, Tls11, Tls12, Tls13 };

// check-mail's spellings: auto|tcp4|tcp6 and tls10|tls11|tls12|tls13.
core::Result<NetType> parse_net_type(std::string_view text);
core::Result<TlsVersion> parse_tls_version(std::string_view text);
std::string_view to_string(TlsVersion version);

struct TlsSettings {
  TlsVersion minimum = TlsVersion::Tls12;
  std::string ca_file;      // empty: the system's trust store
  bool verify = true;       // false only by explicit user choice
  std::string server_name;  // empty: the host connected to
};

}  // namespace mailoauth::net
