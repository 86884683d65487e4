// Accounts: the native configuration of mailoauth (TOML, by default
// $XDG_CONFIG_HOME/mailoauth/config.toml), one `[accounts.NAME]` table per
// mailbox identity: provider (microsoft, google, generic), flow (delegated,
// app, service-account, password), tenant and cloud, client id, where the
// client secret lives (inline, a file, an environment variable, or sealed in
// the token store), a certificate, scopes or a preset, login hint and mailbox.
// Loading validates everything a later refresh would trip over, so a typo is
// named with its file and line when the account is read, not at 3 a.m. when
// a token expires. A client secret can have a successor during a rotation
// (`previous_client_secret*`): the current one is used, the previous one is
// tried when the server answers invalid_client, and both expiry dates are
// watched by `token status`.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/provider.hpp"
#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

struct SecretSource {
  enum class Kind { Inline, File, Environment, Store };
  Kind kind = Kind::Store;
  std::string where;   // the file or variable name; for Inline the config location
  core::Secret value;  // Inline only
  std::optional<core::Clock::WallTime> expires;
  std::string slot;  // "current" or "previous"
};

struct Account {
  std::string name;
  ProviderKind provider = ProviderKind::Microsoft;
  Flow flow = Flow::Delegated;
  std::string tenant;
  std::string cloud;
  std::string client_id;
  ClientAuthentication client_authentication = ClientAuthentication::SecretPost;
  std::vector<SecretSource> secrets;  // in the order they are tried
  std::string certificate_file;       // app flow with a certificate
  std::string private_key_file;       // empty: the key is in certificate_file
  std::string service_account_file;   // Google service-account JSON key
  std::vector<std::string> scopes;    // resolved (preset or explicit)
  std::optional<Use> preset;
  std::string login_hint;
  std::string mailbox;  // SASL user=, Graph mailbox, impersonated user
  Endpoints endpoints;  // resolved from the provider, or given (generic)
  std::string issuer;   // generic: where discovery starts when URLs are absent
  std::chrono::seconds refresh_margin{300};
  int redirect_port = 0;  // 0: a random loopback port
  // The browser sign-in's redirect (redirect_uri): host spelling and path;
  // the listener binds 127.0.0.1 either way.
  std::string redirect_host = "127.0.0.1";
  std::string redirect_path = "/";
  std::string ca_file;  // trust this CA (PEM) for the identity server and the mail servers
  // Where mail goes and comes from; empty/0: the provider's servers
  // (mail_servers()), which a generic account must then give.
  std::string smtp_server;
  int smtp_port = 0;
  std::string smtp_tls;  // "implicit", "starttls", "none"; empty: by port (465 implicit)
  std::string imap_server;
  int imap_port = 0;
  std::string imap_tls;
  std::vector<std::string> auth_mechanisms;  // SASL names in preference order; empty: bearer
  std::string transport;                     // "smtp", "graph", "auto"; empty: smtp
  std::string graph_url;                     // empty: https://graph.microsoft.com
  std::string graph_account;                 // the account whose token Graph takes; empty: this
  // The mailbox's maximum message size for Graph's large-message path
  // (config: graph_max_message_size in MB; Exchange Online: 35 by default).
  std::uint64_t graph_max_message_size = std::uint64_t{35} << 20;
  std::string location;  // "config.toml:12", for messages

  // The SASL / Graph identity: mailbox, else login hint.
  const std::string& user() const { return mailbox.empty() ? login_hint : mailbox; }
  bool public_client() const;
};

struct AccountsConfig {
  std::filesystem::path path;
  bool file_exists = false;
  std::string default_account;
  std::vector<Account> accounts;

  // The account, or a Config error naming the known ones and `account add`.
  core::Result<const Account*> find(std::string_view name) const;
};

// $MAILOAUTH_CONFIG, else $XDG_CONFIG_HOME/mailoauth/config.toml, else
// ~/.config/mailoauth/config.toml.
core::Result<std::filesystem::path> default_config_path();

// A missing file is an empty configuration (file_exists false), not an error.
core::Result<AccountsConfig> load_accounts(const std::filesystem::path& path);
core::Result<AccountsConfig> parse_accounts(std::string_view text, std::string source_name);

// Account names become store keys and command arguments: letters, digits,
// '.', '_', '-', at most 64.
core::Result<void> check_account_name(std::string_view name);

// Reads an Inline, File or Environment secret (Store secrets are read from
// the token store by the engine). Trailing newlines of a file are dropped.
core::Result<core::Secret> read_secret_source(const SecretSource& source);

// "2027-06-30" (UTC midnight) or an RFC 3339 date-time.
core::Result<core::Clock::WallTime> parse_expiry_date(std::string_view text);

// The TOML text of a new [accounts.NAME] table (only the keys that are set).
struct AccountDraft {
  std::string name;
  std::string provider;
  std::string flow;
  std::string tenant;
  std::string cloud;
  std::string client_id;
  std::string client_secret_file;
  std::string client_secret_env;
  std::string client_secret_expires;
  std::string certificate_file;
  std::string private_key_file;
  std::string service_account_file;
  std::string preset;
  std::vector<std::string> scopes;
  std::string login_hint;
  std::string mailbox;
  std::string issuer;
  std::string authorize_url;
  std::string token_url;
  std::string device_url;
  std::string revocation_url;
  std::string redirect_uri;
};
std::string render_account(const AccountDraft& draft);

// The configuration text without the [accounts.NAME] table (and its
// sub-tables); nullopt when there is no such table.
std::optional<std::string> remove_account_text(std::string_view text, std::string_view name);

}  // namespace mailoauth::oauth2
