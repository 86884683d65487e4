// Logging in to IMAP with a mailoauth account's token, the same way in every
// program that reads a mailbox with an account (`mailoauth imap`,
// check_mail_roundtrip): the account's first bearer mechanism the server
// offers (its auth_mechanisms, else XOAUTH2, then OAUTHBEARER), the token from
// the account's engine, and a token the server refuses renewed once
// (oauth2::renew_once), as for SMTP and Graph.
#pragma once

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/client_settings.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/oauth2/account.hpp"

#include "../mailoauth/app_context.hpp"

namespace mailoauth::app {

core::Result<void> imap_authenticate(AppContext& context, const oauth2::Account& account,
                                     imap::SyncClient& client,
                                     const imap::ClientSettings& settings);

}  // namespace mailoauth::app
