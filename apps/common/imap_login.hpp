// Finding the account's IMAP server and logging in to it with the account's
// token, the same way in every program that reads a mailbox with an account
// (`mailoauth imap`, check_mail_roundtrip). The server: the flags, else the
// account's imap_* keys, else its provider's (delivery::server_settings).
// The login: the account's first bearer mechanism the server
// offers (its auth_mechanisms, else XOAUTH2, then OAUTHBEARER), the token from
// the account's engine, and a token the server refuses renewed once
// (oauth2::renew_once), as for SMTP and Graph.
#pragma once

#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/imap/client_settings.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/oauth2/account.hpp"

#include "../mailoauth/app_context.hpp"

namespace mailoauth::app {

// The names of the flags that set the server and the TLS mode, for errors.
struct ImapServerFlags {
  std::string_view server = "--server";
  std::string_view tls = "--tls";
};

// A resolved server's host, port, TLS mode and CA file as IMAP client
// settings (the timeouts and trace are the caller's).
imap::ClientSettings imap_client_settings(const delivery::ServerSettings& resolved);

// The IMAP server's host, port, TLS mode and CA file by the one rule, with
// `tls_text` ("implicit", "starttls", or empty: the account's or provider's)
// parsed into `overrides`; the timeouts and trace are the caller's.
core::Result<imap::ClientSettings> imap_server_settings(const oauth2::Account* account,
                                                        delivery::ServerOverrides overrides,
                                                        std::string_view tls_text,
                                                        const ImapServerFlags& flags = {});

core::Result<void> imap_authenticate(AppContext& context, const oauth2::Account& account,
                                     imap::SyncClient& client,
                                     const imap::ClientSettings& settings);

}  // namespace mailoauth::app
