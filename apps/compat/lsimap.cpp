// `lsimap`: check-mail's tool that lists an IMAP server's capabilities before
// login, sorted, one "Capability: X" log line each on stderr. Same flags;
// beyond check-mail: -starttls (plain connection upgraded; the capabilities
// before and after it), -ca-file, -t/-timeout, and -json (the report of
// compat::inspection_json on stdout: mechanisms, LOGINDISABLED, TLS version,
// certificate subject and expiry). A configuration or connection error exits
// non-zero (check-mail exits 0).
#include <cstdio>

#include <fmt/format.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/server_inspection.hpp"
#include "mailoauth/net/connection_settings.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  compat::CheckMailApp app("lsimap", argv[0]);
  auto& flags = app.flags();
  std::string server, net_type = "auto", min_tls = "tls12", ca_file;
  std::int64_t port = 993, timeout = 10;
  bool starttls = false, json = false;
  flags.add_string("server", &server, "", "The fully-qualified domain name of the IMAP server.");
  flags.add_int("port", &port, 993,
                "TCP port used to connect to the remote mail server (993; 143 with -starttls).");
  flags.add_string("net-type", &net_type, "auto",
                   "Limits network connections to remote mail servers to one of tcp4 (IPv4-only), "
                   "tcp6 (IPv6-only) or auto (either).");
  flags.add_string("min-tls", &min_tls, "tls12",
                   "Limits version of TLS used for connections to remote mail servers: tls10, "
                   "tls11, tls12 or tls13.");
  flags.add_bool("starttls", &starttls, false,
                 "Connect in plain text and upgrade with STARTTLS; shows the capabilities before "
                 "and after it. mailoauth only.");
  flags.add_bool("json", &json, false,
                 "Print a JSON report on stdout (capabilities, mechanisms, LOGINDISABLED, TLS, "
                 "certificate). mailoauth only.");
  flags.add_string("ca-file", &ca_file, "",
                   "Trust the CA certificates in `file` (PEM). mailoauth only.");
  for (const char* name : {"t", "timeout"}) {
    flags.add_int(name, &timeout, 10, "Seconds the whole run may take. mailoauth only.");
  }
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;
  if (server.empty()) return app.configuration_error("server FQDN not provided");
  if (port < 1 || port > 65535) {
    return app.configuration_error(fmt::format("invalid TCP port number {} provided", port));
  }
  if (timeout < 1 || timeout > 3600) {
    return app.configuration_error(fmt::format("invalid timeout {}", timeout));
  }
  auto parsed_net_type = net::parse_net_type(net_type);
  if (!parsed_net_type) {
    return app.configuration_error(fmt::format("invalid network type keyword: {}", net_type));
  }
  auto parsed_min_tls = net::parse_tls_version(min_tls);
  if (!parsed_min_tls) {
    return app.configuration_error(fmt::format("invalid TLS version keyword: {}", min_tls));
  }
  imap::ClientSettings settings;
  settings.host = server;
  settings.port = static_cast<std::uint16_t>(port);
  settings.tls_mode = starttls ? imap::TlsMode::StartTls : imap::TlsMode::Implicit;
  settings.net_type = *parsed_net_type;
  settings.tls.minimum = *parsed_min_tls;
  settings.tls.ca_file = ca_file;
  settings.connect_timeout = settings.command_timeout = settings.session_timeout =
      std::chrono::seconds(timeout);

  auto inspection = compat::inspect_server(settings);
  if (!inspection) {
    app.logger().error("Error connecting to server", {{"error", inspection.error().describe()}});
    return 1;
  }
  if (json) {
    std::fputs(compat::inspection_json(*inspection).c_str(), stdout);
    return 0;
  }
  if (inspection->before_starttls) {
    for (const auto& name : inspection->before_starttls->sorted()) {
      app.logger().info(fmt::format("Capability before STARTTLS: {}", name));
    }
  }
  for (const auto& name : inspection->capabilities.sorted()) {
    app.logger().info(fmt::format("Capability: {}", name));
  }
  return 0;
}
