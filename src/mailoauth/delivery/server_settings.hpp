// The one rule for where a mail connection goes: host, port, TLS mode and CA
// file for an account's SMTP or IMAP server. `mailoauth send`, sendmail mode,
// `mailoauth imap`, check_imap_mailbox_oauth2 -account and the relay all ask
// this function, so an account means the same server everywhere. Each value
// is, in order: what the caller gives explicitly (a flag), the account's key
// (smtp_server/smtp_port/smtp_tls, imap_*), the provider's value (oauth2's
// mail_servers table; its port and TLS mode only when the host is the
// provider's own), else the protocol's default (port from the TLS mode, TLS
// mode from the port: 465 and 993 implicit, 587, 25 and 143 STARTTLS). IMAP
// without TLS is refused. Pure: no I/O, no Asio; the callers turn the result
// into smtp:: or imap:: client settings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/delivery/transport.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/smtp/send_report.hpp"

namespace mailoauth::delivery {

enum class MailProtocol { Smtp, Imap };
std::string_view to_string(MailProtocol protocol);

// What the caller was told explicitly; empty / 0 / nullopt: not given.
struct ServerOverrides {
  std::string host;
  int port = 0;
  std::optional<TlsMode> tls;
  std::string ca_file;
};

// Where the host came from, for traces and messages.
enum class SettingOrigin { Given, Account, Provider };
std::string_view to_string(SettingOrigin origin);

struct ServerSettings {
  std::string host;
  std::uint16_t port = 0;
  TlsMode tls = TlsMode::Implicit;
  std::string ca_file;  // empty: the system's trust store
  SettingOrigin host_origin = SettingOrigin::Given;
};

// The well-known ports: implicit TLS 465 / 993, otherwise 587 / 143.
std::uint16_t default_port(MailProtocol protocol, TlsMode tls);
// The SMTP client's name for a TLS mode (mailoauth send and the relay alike).
smtp::Security smtp_security(TlsMode tls);
// By port: 465 and 993 implicit; 25, 587 and 143 STARTTLS; any other port
// SMTP STARTTLS, IMAP implicit.
TlsMode default_tls_mode(MailProtocol protocol, int port);

// `account` may be null (a server given without an account). Config errors:
// no host anywhere (`delivery.no_server`), a bad TLS word in the account,
// IMAP without TLS (`delivery.imap_without_tls`).
core::Result<ServerSettings> server_settings(MailProtocol protocol, const oauth2::Account* account,
                                             const ServerOverrides& overrides);

}  // namespace mailoauth::delivery
