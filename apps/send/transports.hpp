// The two ways a message leaves: SMTP submission (smtp_path.cpp) and
// Microsoft Graph sendMail (graph_path.cpp). Each takes the decisions the
// library made (delivery::) and the account's token from the engine, sends,
// and describes the outcome in one line; neither prints or keeps anything:
// that is deliver.cpp's.
#pragma once

#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/account.hpp"

#include "../mailoauth/app_context.hpp"
#include "send_command.hpp"

namespace mailoauth::send {

struct Delivery {
  std::string transport;             // "smtp" or "graph"
  std::string summary;               // "via smtp HOST:PORT (TLS, XOAUTH2): 250 ..."
  std::vector<std::string> refused;  // "addr: 550 5.1.1 ..."
};

// `account` null: --user/--password-file without an account.
core::Result<Delivery> via_smtp(app::AppContext& context, const ServerOptions& server,
                                const oauth2::Account* account, const mime::Message& message,
                                bool verbose);

core::Result<Delivery> via_graph(app::AppContext& context, const ServerOptions& server,
                                 const oauth2::Account* account, const mime::Message& message);

}  // namespace mailoauth::send
