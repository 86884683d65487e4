// `mailoauth send` and sendmail mode as plain functions over option structs,
// so main.cpp is only the command line. The work is one file per concern:
//   send_command.cpp   the `send` flow: account, message, send, keep
//   sendmail_mode.cpp  sendmail(8)'s options, stdin with a size cap, the copy
//                      kept before sending
//   message_input.cpp  the ready message (--raw); bounded reading
//   message_compose.cpp / compose_exec.cpp  a message built with GMime, in
//                      mailoauth-send-compose only (compose.hpp says why)
//   deliver.cpp        account choice and transport (delivery::), Graph fallback
//   smtp_path.cpp, graph_path.cpp   the two transports (transports.hpp)
//   failed_message.cpp keeping an unsent message, and saying so when it cannot
// The decisions themselves (which server, TLS mode, mechanism, account,
// transport, when Graph may help) are the library's: src/mailoauth/delivery/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "../mailoauth/commands.hpp"

namespace mailoauth::send {

struct ServerOptions {
  std::string transport;  // smtp, graph, auto; empty: the account's, else smtp
  std::string server;
  int port = 0;
  std::string tls;  // implicit, starttls, none
  bool allow_plaintext_auth = false;
  std::string ca_file;
  bool insecure = false;       // TLS without verification: loud
  std::string auth_mechanism;  // xoauth2, oauthbearer, plain, login
  std::string user;            // with --password-file: no account, Basic AUTH
  std::string password_file;
  std::string helo;
  std::string graph_url;
  int timeout_seconds = 0;  // 0: the client's defaults
};

struct SendOptions {
  std::string account;
  std::string from;
  std::vector<std::string> to, cc, bcc, reply_to;
  std::string subject;
  std::optional<std::string> body;
  std::string body_file;  // "-": stdin
  std::string html_file;
  std::vector<std::string> attachments;
  std::string raw;  // a ready message: a file or "-"
  std::string envelope_from;
  bool dry_run = false;
  ServerOptions server;
};

int send_command(const app::GlobalOptions& global, const SendOptions& options);

// Sendmail mode: the arguments after the program name (or after "sendmail"),
// parsed the way sendmail(8)/Postfix's sendmail do; the message on stdin.
int sendmail_command(const app::GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace mailoauth::send
