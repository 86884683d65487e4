// From a chosen account and a ready message to "sent": the account choice
// with the command line's wording, the transport (delivery::choose_transport),
// SMTP or Graph, and for `auto` Graph after the refusals
// delivery::graph_may_help names. What happens to an unsent message is the
// caller's (send and sendmail mode keep it differently).
#pragma once

#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/account.hpp"

#include "../mailoauth/app_context.hpp"
#include "send_command.hpp"

namespace mailoauth::send {

// delivery::choose_account over the context's configuration; the remedy
// names --account and MAILOAUTH_ACCOUNT.
core::Result<const oauth2::Account*> choose_account(app::AppContext& context,
                                                    const std::string& name,
                                                    const std::string& sender);

// Sends and prints "sent <id> to N recipients via ..." (and each refused
// recipient on stderr). The exit code when something was sent (0, or 69 when
// some recipients were refused); the Error when nothing was.
core::Result<int> send_message(app::AppContext& context, const ServerOptions& server,
                               const oauth2::Account* account, const mime::Message& message,
                               bool verbose);

}  // namespace mailoauth::send
