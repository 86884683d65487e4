// The doctor's words for what goes wrong before a mail server says anything
// useful: a name that does not resolve, a port that refuses, a connection
// request nobody answers (the firewall that drops outbound 587), no route, a
// server that accepts and stays silent, STARTTLS missing, no bearer
// mechanism offered. Each is an Error whose message is the cause in one
// sentence and whose remedy is the admin's next step (a PowerShell line, a
// config key). Pure: the runner classifies what it saw into these inputs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::doctor {

// What a TCP connection attempt to one address ended in.
enum class ConnectOutcome { Connected, Refused, TimedOut, Unreachable, OtherError };

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string protocol;  // "smtp", "imap", "graph": which port advice applies
};

core::Error name_not_resolved(const Endpoint& endpoint, std::string_view resolver_message);
core::Error name_resolution_timed_out(const Endpoint& endpoint, std::chrono::milliseconds timeout);

// `outcome` is the best of the addresses tried (Refused if any refused, else
// Unreachable, else TimedOut); `detail` lists each address and its error.
core::Error connection_failed(const Endpoint& endpoint, ConnectOutcome outcome,
                              std::string_view detail, std::chrono::milliseconds timeout);

// The server accepted the TCP connection and sent nothing (no greeting, no
// TLS handshake answer) within `timeout`.
core::Error server_silent(const Endpoint& endpoint, std::string_view waiting_for,
                          std::chrono::milliseconds timeout);

// SMTP EHLO / IMAP CAPABILITY offered neither XOAUTH2 nor OAUTHBEARER.
core::Error no_bearer_mechanism(const Endpoint& endpoint, const std::vector<std::string>& offered);

// A certificate the doctor's trust store does not accept (net.certificate),
// with the account key that fixes a private CA.
core::Error untrusted_certificate(const core::Error& tls_error, bool ca_file_given);

}  // namespace mailoauth::doctor
