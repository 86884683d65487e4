// The `mailoauth` subcommands as plain functions over plain option structs.
// main.cpp owns the command line (CLI11, in that one translation unit, since
// it is heavy to compile); the files here do the work and print. Every
// command returns a process exit code from the error-class table
// (docs/ARCHITECTURE.md#errors-one-mapping) and writes its errors to stderr
// as "mailoauth: <what went wrong> (remedy: <what to do>)".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "../common/global_options.hpp"  // GlobalOptions

namespace mailoauth::app {

struct AccountAddOptions {
  std::string name, provider, flow, tenant, cloud, client_id;
  std::string client_secret_file, client_secret_env, secret_expires;
  bool client_secret_stdin = false;
  std::string certificate_file, private_key_file, service_account_file;
  std::string preset;
  std::vector<std::string> scopes;
  std::string login_hint, mailbox, issuer;
  std::string authorize_url, token_url, device_url, revocation_url;
  std::string redirect_uri;
};

int account_add(const GlobalOptions& global, const AccountAddOptions& options);
int account_list(const GlobalOptions& global);
int account_show(const GlobalOptions& global, const std::string& name);
int account_remove(const GlobalOptions& global, const std::string& name, bool keep_tokens);
int account_secret(const GlobalOptions& global, const std::string& name,
                   const std::string& expires);

struct TokenLoginOptions {
  std::string account;
  bool device = false;
  int port = -1;  // -1: the account's redirect_port
  bool no_browser = false;
  int timeout_seconds = 300;
};
struct TokenGetOptions {
  std::string account;
  std::string format = "raw";
  std::optional<int> min_valid_seconds;
};
struct TokenStatusOptions {
  std::string account;  // empty: all
  bool json = false;
};

struct TokenInspectOptions {
  std::string account;
  std::string token;  // "-": read the token from stdin
};
struct TokenRevokeOptions {
  std::string account;
  bool keep_local = false;
};

struct TokenExportOptions {
  std::vector<std::string> accounts;  // empty: every account of the configuration
  std::string file;
  std::string passphrase_file;  // empty: MAILOAUTH_EXPORT_PASSPHRASE, else asked on the terminal
};
struct TokenImportOptions {
  std::string file;
  std::string passphrase_file;
  bool replace = false;  // overwrite accounts that already have tokens here
};

int token_export(const GlobalOptions& global, const TokenExportOptions& options);
int token_import(const GlobalOptions& global, const TokenImportOptions& options);
int token_login(const GlobalOptions& global, const TokenLoginOptions& options);
int token_inspect(const GlobalOptions& global, const TokenInspectOptions& options);
int token_revoke(const GlobalOptions& global, const TokenRevokeOptions& options);
int token_get(const GlobalOptions& global, const TokenGetOptions& options);
int token_status(const GlobalOptions& global, const TokenStatusOptions& options);

struct ExplainOptions {
  std::vector<std::string> words;  // the pasted text, words joined by spaces; "-": stdin
  bool json = false;
  bool list = false;
  bool markdown = false;
};
int explain(const ExplainOptions& options);

}  // namespace mailoauth::app
