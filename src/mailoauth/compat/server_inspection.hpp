// What lsimap reports about an IMAP server without logging in: the
// capabilities (and, with STARTTLS, those of the plain connection before it),
// the SASL mechanisms offered, whether LOGIN is disabled, the TLS version and
// cipher, and the server certificate's subject, issuer and expiry; and that
// report as the JSON `lsimap --json` prints (keys stable, documented in
// docs/check-mail.md). Library mailoauth_net (it connects).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/capabilities.hpp"
#include "mailoauth/imap/client_settings.hpp"
#include "mailoauth/imap/sync_client.hpp"

namespace mailoauth::compat {

struct ServerInspection {
  std::string server;
  std::uint16_t port = 0;
  bool starttls = false;
  std::string greeting;
  imap::Capabilities capabilities;                    // on the TLS connection
  std::optional<imap::Capabilities> before_starttls;  // STARTTLS only
  std::optional<imap::TlsFacts> tls;
};

// With a logger: the steps at debug, the dialogue (redacted) at trace.
core::Result<ServerInspection> inspect_server(const imap::ClientSettings& settings,
                                              core::Logger* logger = nullptr);
// The same facts from a client already connected (and not yet logged in), so a
// caller that goes on to log in needs one connection, not two.
ServerInspection inspection_of(const imap::SyncClient& client,
                               const imap::ClientSettings& settings);

// {"server","port","starttls","greeting","capabilities":[sorted],
//  "capabilities_before_starttls":[sorted]|null,"auth_mechanisms":[...],
//  "login_disabled":bool,"tls":{"version","cipher","subject","issuer","not_after"}|null}
// followed by a newline.
std::string inspection_json(const ServerInspection& inspection);

}  // namespace mailoauth::compat
