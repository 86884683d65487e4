// The IMAP drop-ins' server flags (see the header).
#include "mailoauth/compat/server_flags.hpp"

#include <fmt/format.h>

#include "mailoauth/net/connection_settings.hpp"

namespace mailoauth::compat {

void ServerFlags::add_to(cli::GoFlagSet& flags) {
  flags.add_string("server", &server_, "", "The fully-qualified domain name of the IMAP server.");
  flags.add_int("port", &port_, 993,
                "TCP port used to connect to the remote mail server. This is usually the same "
                "port used for TLS encrypted IMAP connections (993; 143 with -starttls).");
  flags.add_string("net-type", &net_type_, "auto",
                   "Limits network connections to remote mail servers to one of tcp4 (IPv4-only), "
                   "tcp6 (IPv6-only) or auto (either).");
  flags.add_string("min-tls", &min_tls_, "tls12",
                   "Limits version of TLS used for connections to remote mail servers: tls10, "
                   "tls11, tls12 or tls13.");
  for (const char* name : {"t", "timeout"}) {
    flags.add_int(name, &timeout_seconds_, 10,
                  "Seconds the whole run may take; a server that does not answer in time is an "
                  "error (CRITICAL for the plugins). mailoauth only.");
  }
  flags.add_bool("starttls", &starttls_, false,
                 "Connect in plain text and upgrade with STARTTLS (use with -port 143) instead of "
                 "TLS from the start. mailoauth only.");
  flags.add_string("ca-file", &ca_file_, "",
                   "Trust the CA certificates in `file` (PEM) for the mail server (and the token "
                   "endpoint). mailoauth only.");
}

core::Result<imap::ClientSettings> ServerFlags::settings(bool need_server) const {
  auto config_error = [](std::string message) {
    return core::fail(core::ErrorClass::Config, "compat.bad_flag", std::move(message));
  };
  if (need_server && server_.empty()) return config_error("server FQDN not provided");
  if (port_ < 1 || port_ > 65535) {
    return config_error(fmt::format("invalid TCP port number {} provided", port_));
  }
  if (timeout_seconds_ < 1 || timeout_seconds_ > 3600) {
    return config_error(
        fmt::format("invalid timeout {}: give 1 to 3600 seconds", timeout_seconds_));
  }
  auto net_type = net::parse_net_type(net_type_);
  if (!net_type) return config_error(fmt::format("invalid network type keyword: {}", net_type_));
  auto min_tls = net::parse_tls_version(min_tls_);
  if (!min_tls) return config_error(fmt::format("invalid TLS version keyword: {}", min_tls_));
  imap::ClientSettings settings;
  settings.host = server_;
  settings.port = static_cast<std::uint16_t>(port_);
  settings.tls_mode = starttls_ ? imap::TlsMode::StartTls : imap::TlsMode::Implicit;
  settings.net_type = *net_type;
  settings.tls.minimum = *min_tls;
  settings.tls.ca_file = ca_file_;
  const std::chrono::milliseconds limit = timeout();
  settings.connect_timeout = limit;
  settings.command_timeout = limit;
  settings.session_timeout = limit;
  return settings;
}

}  // namespace mailoauth::compat
