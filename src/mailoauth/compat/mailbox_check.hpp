// The check behind check_imap_mailbox_basic and check_imap_mailbox_oauth2:
// connect, log in (the caller's authenticate step: LOGIN, or AUTHENTICATE with
// a token), LIST, check-mail's folder validation, then per folder the cheapest
// count the options allow: STATUS (MESSAGES, or UNSEEN with --unseen); only
// for age thresholds or a sample EXAMINE (read-only, never SELECT) + UID
// SEARCH and one small UID FETCH (INTERNALDATE of the first message, the
// sample's envelopes). check-mail fetched every envelope just to count.
// Each failure becomes check-mail's sentence: connect/DNS/TLS/timeout →
// "Error connecting to <server>", the login step → "Login error occurred",
// a folder → "mailbox not found", anything later → "Error occurred checking
// mail"; all CRITICAL, as the Monitoring Plugins guidelines ask (UNKNOWN is
// the start-up's, for bad flags). A login step that fails in mailoauth's own
// token store (codes store.*) is "Token store error occurred", not a login
// error: the server never saw a login. Deadlines are the ClientSettings'.
// With a logger, each step is logged at debug as check-mail logs it
// (connection, login, folders, counts; never a password or token), and the
// IMAP dialogue, redacted, at trace.
// Library mailoauth_net (it drives imap::SyncClient).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mailoauth/compat/mailbox_check_output.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/client_settings.hpp"

namespace mailoauth::imap {
class SyncClient;
}

namespace mailoauth::compat {

struct MailboxCheckRequest {
  imap::ClientSettings settings;
  std::string mailbox;               // shown in the status line (username / shared mailbox)
  std::vector<std::string> folders;  // --folders as given
  MailboxCheckOptions options;
  bool unseen_only = false;  // --unseen: count \Seen-less messages only
  // Logs in on the connected client; its error is reported as a login error.
  std::function<core::Result<void>(imap::SyncClient& client)> authenticate;
  // Lines for the long output, asked for once the check has run (the oauth2
  // plugin: "token cache not used: ..."); empty: none.
  std::function<std::vector<std::string>()> notes;
  // Steps at debug, the IMAP dialogue at trace; null: silent.
  core::Logger* logger = nullptr;
};

monitor::PluginOutput run_mailbox_check(const MailboxCheckRequest& request,
                                        const OutputContext& context,
                                        std::chrono::steady_clock::time_point started);

// A plugin's last step: run the check, print the rendered output on stdout
// and return its exit code. `version_line`: non-empty for --branding.
int check_and_print(const MailboxCheckRequest& request, const std::string& version_line,
                    std::chrono::steady_clock::time_point started);

}  // namespace mailoauth::compat
