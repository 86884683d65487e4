// The doctor's causes and next steps for connection faults (see the header).
#include "mailoauth/doctor/connection_advice.hpp"

#include <fmt/format.h>

namespace mailoauth::doctor {

namespace {

using core::ErrorClass;

std::string port_hint(const Endpoint& endpoint) {
  if (endpoint.protocol == "smtp") {
    return "SMTP submission is 587 (STARTTLS) or 465 (implicit TLS); set smtp_port in the "
           "account or give --port";
  }
  if (endpoint.protocol == "imap") {
    return "IMAP is 993 (implicit TLS) or 143 (STARTTLS); set imap_port in the account or give "
           "--port";
  }
  return "check graph_url in the account";
}

std::string test_connection(const Endpoint& endpoint) {
  return fmt::format("Test-NetConnection {} -Port {} (PowerShell), or nc -vz {} {}", endpoint.host,
                     endpoint.port, endpoint.host, endpoint.port);
}

}  // namespace

core::Error name_not_resolved(const Endpoint& endpoint, std::string_view resolver_message) {
  return core::Error(
      ErrorClass::Temporary, "doctor.dns_not_resolved",
      fmt::format("the name {} does not resolve ({})", endpoint.host, resolver_message),
      fmt::format("check the spelling of the server name ({}_server in the account or --server) "
                  "and this machine's DNS: Resolve-DnsName {} (PowerShell), or getent hosts {}",
                  endpoint.protocol, endpoint.host, endpoint.host));
}

core::Error name_resolution_timed_out(const Endpoint& endpoint, std::chrono::milliseconds timeout) {
  return core::Error(
      ErrorClass::Temporary, "doctor.dns_timeout",
      fmt::format("resolving {} took longer than {} ms", endpoint.host, timeout.count()),
      "check the DNS servers in /etc/resolv.conf (or the network's DNS): a resolver that does "
      "not answer delays every connection");
}

core::Error connection_failed(const Endpoint& endpoint, ConnectOutcome outcome,
                              std::string_view detail, std::chrono::milliseconds timeout) {
  const std::string peer = fmt::format("{}:{}", endpoint.host, endpoint.port);
  switch (outcome) {
    case ConnectOutcome::Refused:
      return core::Error(
          ErrorClass::Temporary, "doctor.tcp_refused",
          fmt::format("{} refused the connection: nothing listens on port {} there, or a "
                      "firewall rejects it ({})",
                      peer, endpoint.port, detail),
          fmt::format("check the port: {}; then {}", port_hint(endpoint),
                      test_connection(endpoint)));
    case ConnectOutcome::TimedOut: {
      const bool mail_port = endpoint.port == 25 || endpoint.port == 587 || endpoint.port == 465;
      return core::Error(
          ErrorClass::Temporary, "doctor.tcp_timeout",
          fmt::format("no answer to the connection request to {} within {} ms: a firewall drops "
                      "the packets, or the host is down",
                      peer, timeout.count()),
          mail_port
              ? fmt::format("outbound port {} is often blocked by the local firewall, the "
                            "network or the hosting provider (many block 25 and 587): "
                            "allow outbound TCP {} to {}, and check with {}",
                            endpoint.port, endpoint.port, endpoint.host, test_connection(endpoint))
              : fmt::format("allow outbound TCP {} to {} in the firewalls in between, and "
                            "check with {}",
                            endpoint.port, endpoint.host, test_connection(endpoint)));
    }
    case ConnectOutcome::Unreachable:
      return core::Error(
          ErrorClass::Temporary, "doctor.tcp_unreachable",
          fmt::format("{} is unreachable from here: no route to it ({})", peer, detail),
          fmt::format("check this machine's routes, VPN and proxy settings (ip route, or "
                      "Get-NetRoute in PowerShell), then {}",
                      test_connection(endpoint)));
    case ConnectOutcome::Connected:
    case ConnectOutcome::OtherError:
      break;
  }
  return core::Error(ErrorClass::Temporary, "doctor.tcp_failed",
                     fmt::format("cannot connect to {} ({})", peer, detail),
                     test_connection(endpoint));
}

core::Error server_silent(const Endpoint& endpoint, std::string_view waiting_for,
                          std::chrono::milliseconds timeout) {
  return core::Error(
      ErrorClass::Temporary, "doctor.server_silent",
      fmt::format("{}:{} accepted the connection but sent nothing within {} ms (waiting for {})",
                  endpoint.host, endpoint.port, timeout.count(), waiting_for),
      fmt::format("something that is not a mail server, or a mail server that is stuck, holds "
                  "the port; a middlebox (an antivirus or SSL-inspecting proxy) may be "
                  "swallowing the traffic; check the TLS mode for the port ({})",
                  port_hint(endpoint)));
}

core::Error no_bearer_mechanism(const Endpoint& endpoint, const std::vector<std::string>& offered) {
  const std::string list =
      offered.empty() ? std::string("none") : fmt::format("{}", fmt::join(offered, " "));
  if (endpoint.protocol == "smtp") {
    return core::Error(
        ErrorClass::Config, "doctor.no_xoauth2",
        fmt::format("{}:{} offers no OAuth2 mechanism (AUTH: {}): XOAUTH2 is missing",
                    endpoint.host, endpoint.port, list),
        "at Exchange Online, SMTP AUTH is off for the tenant or the mailbox: "
        "Set-TransportConfig -SmtpClientAuthenticationDisabled $false (tenant), or "
        "Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false; "
        "elsewhere the server needs an OAuth2 mechanism configured");
  }
  return core::Error(
      ErrorClass::Config, "doctor.no_xoauth2",
      fmt::format("{}:{} offers no OAuth2 mechanism (AUTH=: {}): XOAUTH2 is missing", endpoint.host,
                  endpoint.port, list),
      "at Exchange Online, IMAP is off for the mailbox: Set-CASMailbox -Identity <mailbox> "
      "-ImapEnabled $true; elsewhere the server needs XOAUTH2 or OAUTHBEARER configured");
}

core::Error untrusted_certificate(const core::Error& tls_error, bool ca_file_given) {
  return core::Error(ErrorClass::Config, tls_error.code(), tls_error.message(),
                     ca_file_given
                         ? "check that the account's ca_file holds the CA that signed the server's "
                           "certificate, and that the server name matches the certificate"
                         : "if the server uses a private CA, set ca_file = \"/path/ca.pem\" in the "
                           "account (or give --ca-file); otherwise check the server name and the "
                           "server's certificate chain");
}

}  // namespace mailoauth::doctor
