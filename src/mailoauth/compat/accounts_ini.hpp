// list-emails' accounts.ini, read as check-mail v0.8.20 reads it
// (internal/config/file.go parseConfigFile + validate.go), on go_ini:
//   [DEFAULT] holds what every account shares and is read only there:
//   auth_type (basic|oauth2, exact case), server_name, server_port, and for
//   oauth2 client_id, client_secret, scopes (comma-separated, each trimmed of
//   `"` and spaces), endpoint_token_url. Every other section whose name is not
//   "default" in any case is an account, in file order, with folders (split on
//   `,`, each trimmed of `"` and spaces) and username + password (basic) or
//   shared_mailbox (oauth2), looked up in the section then its parents (a.b → a).
// Stricter than check-mail, each with file:line: an empty folder name, a port
// outside 1..65535, a key given in an account section that check-mail ignores
// there (server_name, ...) is reported as a warning, and so is a value that an
// inline # or ; cut short. Secrets are core::Secret. No I/O.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::compat {

struct CheckMailAccount {
  std::string name;       // the section name: report file names use it
  std::string auth_type;  // "basic" or "oauth2"
  std::string server;
  int port = 993;
  std::vector<std::string> folders;
  // basic
  std::string username;
  core::Secret password;
  // oauth2 (client credentials)
  std::string client_id;
  core::Secret client_secret;
  std::vector<std::string> scopes;
  std::string token_url;
  std::string shared_mailbox;
  int line = 0;  // the section header, for messages

  // What check-mail's final line names: the mailbox's local part (before '@')
  // of username (basic) or shared_mailbox (oauth2), not the section name.
  std::string summary_name() const;
  // The mailbox the account logs in as: username or shared_mailbox.
  const std::string& mailbox() const { return auth_type == "oauth2" ? shared_mailbox : username; }
};

struct AccountsIni {
  std::vector<CheckMailAccount> accounts;
  std::vector<std::string> warnings;  // "<file>:<line>: ..." for the log
};

// Error codes `ini.syntax`, `accounts.missing_key`, `accounts.bad_value` (Config).
core::Result<AccountsIni> read_accounts_ini(std::string_view text, std::string_view file_name);

// check-mail's "OK: Successfully generated reports for accounts: email1, email2".
std::string accounts_report_summary(const std::vector<CheckMailAccount>& accounts);

}  // namespace mailoauth::compat
