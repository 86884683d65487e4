// Reading, checking and writing [accounts.NAME] tables. Parsing goes through
// core::ConfigDocument, so every error carries file:line and a did-you-mean
// for unknown keys; writing is textual (append a table, cut a table) so the
// comments and layout a person gave the file survive `account add/remove`.
#include "mailoauth/oauth2/account.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/config.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/file_access.hpp"
#include "mailoauth/oauth2/loopback_listener.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::oauth2 {

namespace {

using core::ErrorClass;

constexpr std::size_t kMaxSecretFile = 64 * 1024;

core::Error config_error(std::string location, std::string message, std::string remedy = {}) {
  return core::Error(ErrorClass::Config, "config.account", fmt::format("{}: {}", location, message),
                     std::move(remedy));
}

bool has_url_scheme(std::string_view url) {
  return url.starts_with("https://") || url.starts_with("http://");
}

// One secret slot ("" for current, "previous_" for the previous): at most one
// of client_secret, client_secret_file, client_secret_env.
core::Result<std::optional<SecretSource>> read_slot(const core::ConfigSection& section,
                                                    std::string_view prefix,
                                                    std::string_view slot) {
  const std::string inline_key = fmt::format("{}client_secret", prefix);
  const std::string file_key = inline_key + "_file";
  const std::string env_key = inline_key + "_env";
  const std::string expires_key = inline_key + "_expires";
  std::optional<SecretSource> source;
  int given = 0;
  for (const auto& [key, kind] : {std::pair{inline_key, SecretSource::Kind::Inline},
                                  std::pair{file_key, SecretSource::Kind::File},
                                  std::pair{env_key, SecretSource::Kind::Environment}}) {
    auto value = section.optional_string(key);
    if (!value) return core::fail(value.error());
    if (!*value) continue;
    ++given;
    SecretSource found;
    found.kind = kind;
    found.slot = std::string(slot);
    if (kind == SecretSource::Kind::Inline) {
      found.where = section.location(key);
      found.value = core::Secret(**value);
    } else {
      found.where = **value;
    }
    source = std::move(found);
  }
  if (given > 1) {
    return core::fail(
        config_error(section.location(inline_key),
                     fmt::format("give only one of {}, {} and {}", inline_key, file_key, env_key)));
  }
  auto expires = section.optional_string(expires_key);
  if (!expires) return core::fail(expires.error());
  if (*expires) {
    auto date = parse_expiry_date(**expires);
    if (!date) {
      return core::fail(
          config_error(section.location(expires_key), date.error().message(),
                       "write the date the portal shows under \"Expires\", e.g. \"2027-06-30\""));
    }
    if (!source) {
      // An expiry for a secret kept in the store.
      source = SecretSource{SecretSource::Kind::Store, {}, {}, {}, std::string(slot)};
    }
    source->expires = *date;
  }
  return source;
}

// What an [accounts.NAME] table says, read but not yet checked.
struct AccountReading {
  Account account;
  std::string provider, flow, preset, authentication, redirect_uri;
  std::optional<std::vector<std::string>> scopes, auth_mechanisms;
};

enum class KeyKind { Text, TextList, Integer, Secret };

// One key of an account table: its name, its type, which flows use it, where
// its value lives, and where reading puts it. This table is the one list of
// keys: reading walks it, and the unknown-key check (with did-you-mean) is
// made from its names. Secret keys are read in pairs of slots by read_slot.
struct AccountKey {
  std::string_view name;
  KeyKind kind;
  std::string_view flows;
  std::string_view stored;
  std::string& (*text)(AccountReading&) = nullptr;
  std::optional<std::vector<std::string>>& (*list)(AccountReading&) = nullptr;
  void (*integer)(AccountReading&, std::int64_t) = nullptr;
  std::int64_t minimum = 0, maximum = 0;
};

using R = AccountReading;
constexpr AccountKey kAccountKeys[] = {
    {"provider", KeyKind::Text, "all", "config", [](R& r) -> std::string& { return r.provider; }},
    {"flow", KeyKind::Text, "all", "config", [](R& r) -> std::string& { return r.flow; }},
    {"tenant", KeyKind::Text, "microsoft", "config",
     [](R& r) -> std::string& { return r.account.tenant; }},
    {"cloud", KeyKind::Text, "microsoft", "config",
     [](R& r) -> std::string& { return r.account.cloud; }},
    {"client_id", KeyKind::Text, "all but service-account", "config",
     [](R& r) -> std::string& { return r.account.client_id; }},
    {"client_authentication", KeyKind::Text, "confidential clients", "config",
     [](R& r) -> std::string& { return r.authentication; }},
    {"client_secret", KeyKind::Secret, "confidential clients", "config (0600 file)"},
    {"client_secret_file", KeyKind::Secret, "confidential clients", "a file"},
    {"client_secret_env", KeyKind::Secret, "confidential clients", "the environment"},
    {"client_secret_expires", KeyKind::Secret, "confidential clients", "config"},
    {"previous_client_secret", KeyKind::Secret, "confidential clients", "config (0600 file)"},
    {"previous_client_secret_file", KeyKind::Secret, "confidential clients", "a file"},
    {"previous_client_secret_env", KeyKind::Secret, "confidential clients", "the environment"},
    {"previous_client_secret_expires", KeyKind::Secret, "confidential clients", "config"},
    {"certificate_file", KeyKind::Text, "app", "a file",
     [](R& r) -> std::string& { return r.account.certificate_file; }},
    {"private_key_file", KeyKind::Text, "app", "a file",
     [](R& r) -> std::string& { return r.account.private_key_file; }},
    {"service_account_file", KeyKind::Text, "service-account", "a file",
     [](R& r) -> std::string& { return r.account.service_account_file; }},
    {"scopes", KeyKind::TextList, "all", "config", nullptr,
     [](R& r) -> std::optional<std::vector<std::string>>& { return r.scopes; }},
    {"preset", KeyKind::Text, "all", "config", [](R& r) -> std::string& { return r.preset; }},
    {"login_hint", KeyKind::Text, "delegated, password", "config",
     [](R& r) -> std::string& { return r.account.login_hint; }},
    {"mailbox", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.mailbox; }},
    {"issuer", KeyKind::Text, "generic", "config",
     [](R& r) -> std::string& { return r.account.issuer; }},
    {"authorize_url", KeyKind::Text, "generic", "config",
     [](R& r) -> std::string& { return r.account.endpoints.authorize_url; }},
    {"token_url", KeyKind::Text, "generic", "config",
     [](R& r) -> std::string& { return r.account.endpoints.token_url; }},
    {"device_url", KeyKind::Text, "generic", "config",
     [](R& r) -> std::string& { return r.account.endpoints.device_url; }},
    {"revocation_url", KeyKind::Text, "generic", "config",
     [](R& r) -> std::string& { return r.account.endpoints.revocation_url; }},
    {"refresh_margin", KeyKind::Integer, "all", "config", nullptr, nullptr,
     [](R& r, std::int64_t v) { r.account.refresh_margin = std::chrono::seconds(v); }, 0,
     24 * 3600},
    {"redirect_uri", KeyKind::Text, "delegated", "config",
     [](R& r) -> std::string& { return r.redirect_uri; }},
    {"redirect_port", KeyKind::Integer, "delegated", "config", nullptr, nullptr,
     [](R& r, std::int64_t v) { r.account.redirect_port = static_cast<int>(v); }, 0, 65535},
    {"ca_file", KeyKind::Text, "all", "a file",
     [](R& r) -> std::string& { return r.account.ca_file; }},
    {"smtp_server", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.smtp_server; }},
    {"smtp_port", KeyKind::Integer, "all", "config", nullptr, nullptr,
     [](R& r, std::int64_t v) { r.account.smtp_port = static_cast<int>(v); }, 1, 65535},
    {"smtp_tls", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.smtp_tls; }},
    {"imap_server", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.imap_server; }},
    {"imap_port", KeyKind::Integer, "all", "config", nullptr, nullptr,
     [](R& r, std::int64_t v) { r.account.imap_port = static_cast<int>(v); }, 1, 65535},
    {"imap_tls", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.imap_tls; }},
    {"auth_mechanisms", KeyKind::TextList, "all", "config", nullptr,
     [](R& r) -> std::optional<std::vector<std::string>>& { return r.auth_mechanisms; }},
    {"transport", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.transport; }},
    {"graph_url", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.graph_url; }},
    {"graph_account", KeyKind::Text, "all", "config",
     [](R& r) -> std::string& { return r.account.graph_account; }},
    // In MB, as Exchange's MaxSendSize is given: 35 by default, 150 at most.
    {"graph_max_message_size", KeyKind::Integer, "all", "config", nullptr, nullptr,
     [](R& r, std::int64_t v) { r.account.graph_max_message_size = std::uint64_t(v) << 20; }, 1,
     150},
};

constexpr auto kAccountKeyNames = [] {
  std::array<std::string_view, std::size(kAccountKeys)> names{};
  for (std::size_t i = 0; i < names.size(); ++i) names[i] = kAccountKeys[i].name;
  return names;
}();

// Every key of the table, typed; unknown keys and wrong types stop here.
core::Result<AccountReading> read_keys(const core::ConfigSection& section) {
  if (auto unknown = section.reject_unknown_keys(kAccountKeyNames); !unknown) {
    return core::fail(unknown.error());
  }
  AccountReading reading;
  for (const AccountKey& key : kAccountKeys) {
    switch (key.kind) {
      case KeyKind::Text: {
        auto value = section.optional_string(key.name);
        if (!value) return core::fail(value.error());
        key.text(reading) = value->value_or(std::string());
        break;
      }
      case KeyKind::TextList: {
        auto value = section.optional_string_list(key.name);
        if (!value) return core::fail(value.error());
        key.list(reading) = std::move(*value);
        break;
      }
      case KeyKind::Integer: {
        auto value = section.optional_integer(key.name, key.minimum, key.maximum);
        if (!value) return core::fail(value.error());
        if (*value) key.integer(reading, **value);
        break;
      }
      case KeyKind::Secret:
        break;  // read_slot reads each slot's keys together
    }
  }
  return reading;
}

// The loopback redirect of the browser sign-in: its path (and host spelling)
// from redirect_uri, the port from it or from redirect_port, not both.
core::Result<void> resolve_redirect(AccountReading& reading, const core::ConfigSection& section) {
  if (reading.redirect_uri.empty()) return {};
  auto redirect = parse_loopback_redirect_uri(reading.redirect_uri);
  if (!redirect) {
    return core::fail(config_error(section.location("redirect_uri"), redirect.error().message(),
                                   redirect.error().remedy()));
  }
  if (redirect->port != 0 && reading.account.redirect_port != 0) {
    return core::fail(config_error(section.location("redirect_port"),
                                   "redirect_uri names a port already; give it in one place"));
  }
  if (redirect->port != 0) reading.account.redirect_port = redirect->port;
  reading.account.redirect_host = redirect->host;
  reading.account.redirect_path = redirect->path;
  return {};
}

// Provider, flow and client authentication from their names.
core::Result<void> resolve_kinds(AccountReading& reading, const core::ConfigSection& section) {
  Account& account = reading.account;
  const std::string& provider = reading.provider;
  const std::string& flow = reading.flow;
  const std::string& authentication = reading.authentication;
  if (provider.empty()) {
    return core::fail(config_error(section.location(), "provider is missing",
                                   "add provider = \"microsoft\", \"google\" or \"generic\""));
  }
  auto kind = parse_provider_kind(provider);
  if (!kind) {
    return core::fail(
        config_error(section.location("provider"), kind.error().message(), kind.error().remedy()));
  }
  account.provider = *kind;
  if (!flow.empty()) {
    auto parsed = parse_flow(flow);
    if (!parsed) {
      return core::fail(config_error(section.location("flow"), parsed.error().message(),
                                     parsed.error().remedy()));
    }
    account.flow = *parsed;
  }
  if (authentication.empty() || authentication == "post") {
    account.client_authentication = ClientAuthentication::SecretPost;
  } else if (authentication == "basic") {
    account.client_authentication = ClientAuthentication::SecretBasic;
  } else {
    return core::fail(config_error(section.location("client_authentication"),
                                   fmt::format("unknown client authentication \"{}\"",
                                               core::escape_control_characters(authentication)),
                                   "use \"post\" (client_secret_post, Microsoft and Google) or "
                                   "\"basic\" (client_secret_basic)"));
  }
  return {};
}

// The current and previous client secret slots.
core::Result<void> read_secrets(AccountReading& reading, const core::ConfigSection& section) {
  Account& account = reading.account;
  for (const auto& [prefix, slot] :
       {std::pair{"", "current"}, std::pair{"previous_", "previous"}}) {
    auto source = read_slot(section, prefix, slot);
    if (!source) return core::fail(source.error());
    if (*source) account.secrets.push_back(std::move(**source));
  }
  if (account.secrets.size() == 1 && account.secrets[0].slot == "previous") {
    return core::fail(config_error(section.location(),
                                   "a previous client secret without a current one",
                                   "rename previous_client_secret* to client_secret*"));
  }
  return {};
}

// Scopes: explicit list, or a preset, never both.
core::Result<void> resolve_scopes(AccountReading& reading, const core::ConfigSection& section) {
  Account& account = reading.account;
  const std::string& preset = reading.preset;
  auto& scopes = reading.scopes;
  if (scopes && !preset.empty()) {
    return core::fail(config_error(section.location("scopes"), "give scopes or preset, not both"));
  }
  if (!preset.empty()) {
    auto use = parse_use(preset);
    if (!use) {
      return core::fail(
          config_error(section.location("preset"), use.error().message(), use.error().remedy()));
    }
    account.preset = *use;
    auto preset_list = preset_scopes(account.provider, account.flow, *use, account.cloud);
    if (!preset_list) {
      return core::fail(config_error(section.location("preset"), preset_list.error().message(),
                                     preset_list.error().remedy()));
    }
    account.scopes = std::move(*preset_list);
  } else if (scopes) {
    account.scopes = std::move(*scopes);
  }
  return {};
}

// The mail servers' TLS modes, the transport and the SASL mechanisms.
core::Result<void> check_mail_settings(AccountReading& reading,
                                       const core::ConfigSection& section) {
  Account& account = reading.account;
  for (const auto& [key, value] :
       {std::pair{"smtp_tls", &account.smtp_tls}, std::pair{"imap_tls", &account.imap_tls}}) {
    if (!value->empty() && *value != "implicit" && *value != "starttls" && *value != "none") {
      return core::fail(config_error(
          section.location(key),
          fmt::format("unknown {} \"{}\"", key, core::escape_control_characters(*value)),
          "use \"implicit\" (ports 465, 993), \"starttls\" (587, "
          "143) or \"none\" (a local test server only)"));
    }
  }
  if (!account.transport.empty() && account.transport != "smtp" && account.transport != "graph" &&
      account.transport != "auto") {
    return core::fail(config_error(
        section.location("transport"),
        fmt::format("unknown transport \"{}\"", core::escape_control_characters(account.transport)),
        "use \"smtp\", \"graph\" (Microsoft Graph sendMail) or \"auto\" (SMTP, then Graph "
        "when the tenant refuses SMTP AUTH)"));
  }
  if (auto& mechanisms = reading.auth_mechanisms) {
    for (const std::string& mechanism : *mechanisms) {
      if (!sasl::parse_mechanism(mechanism)) {
        return core::fail(config_error(section.location("auth_mechanisms"),
                                       fmt::format("unknown SASL mechanism \"{}\"",
                                                   core::escape_control_characters(mechanism)),
                                       "use XOAUTH2, OAUTHBEARER, PLAIN or LOGIN"));
      }
    }
    account.auth_mechanisms = std::move(*mechanisms);
  }
  return {};
}

// Endpoints: provider tables, or URLs / issuer for a generic server.
core::Result<void> resolve_endpoints(AccountReading& reading, const core::ConfigSection& section) {
  Account& account = reading.account;
  const std::string& provider = reading.provider;
  const bool urls_given = !account.endpoints.authorize_url.empty() ||
                          !account.endpoints.token_url.empty() ||
                          !account.endpoints.device_url.empty();
  if (account.provider == ProviderKind::Microsoft || account.provider == ProviderKind::Google) {
    if (urls_given || !account.issuer.empty()) {
      return core::fail(config_error(
          section.location(), fmt::format("{} accounts take no URLs or issuer", provider),
          "remove them (the provider's endpoints are built in; for a national cloud set "
          "cloud = \"usgov\", \"usgov-dod\" or \"china\"), or use provider = \"generic\""));
    }
    if (account.provider == ProviderKind::Microsoft) {
      auto endpoints = microsoft_endpoints(account.tenant, account.cloud);
      if (!endpoints) {
        return core::fail(config_error(section.location("tenant"), endpoints.error().message(),
                                       endpoints.error().remedy()));
      }
      account.endpoints = std::move(*endpoints);
      if (auto graph = microsoft_graph_url(account.cloud); graph && account.graph_url.empty()) {
        account.graph_url = std::move(*graph);  // the cloud's Graph, unless set
      }
    } else {
      account.endpoints = google_endpoints();
    }
  } else {
    if (account.endpoints.token_url.empty() && account.issuer.empty()) {
      return core::fail(config_error(section.location(),
                                     "a generic provider needs token_url or issuer",
                                     "set issuer = \"https://...\" (endpoints found by OIDC "
                                     "discovery) or the URLs themselves"));
    }
    for (const auto& [key, url] :
         {std::pair{"issuer", &account.issuer},
          std::pair{"authorize_url", &account.endpoints.authorize_url},
          std::pair{"token_url", &account.endpoints.token_url},
          std::pair{"device_url", &account.endpoints.device_url},
          std::pair{"revocation_url", &account.endpoints.revocation_url}}) {
      if (!url->empty() && !has_url_scheme(*url)) {
        return core::fail(
            config_error(section.location(key), fmt::format("{} must be an https:// URL", key)));
      }
    }
  }
  return {};
}

// What each flow needs.
core::Result<void> check_flow_needs(AccountReading& reading, const core::ConfigSection& section) {
  Account& account = reading.account;
  if (account.client_id.empty() && account.flow != Flow::ServiceAccount) {
    return core::fail(
        config_error(section.location(), "client_id is missing",
                     "copy the Application (client) ID from the app registration's overview page"));
  }
  switch (account.flow) {
    case Flow::App:
      if (account.user().empty()) {
        return core::fail(config_error(section.location(),
                                       "an app-only account needs the mailbox it acts for",
                                       "set mailbox = \"user@example.com\""));
      }
      break;
    case Flow::ServiceAccount:
      if (account.service_account_file.empty()) {
        return core::fail(config_error(section.location(),
                                       "a service account needs service_account_file",
                                       "download a JSON key for the service account and name it "
                                       "here (keep it 0600)"));
      }
      if (account.mailbox.empty()) {
        return core::fail(config_error(section.location(),
                                       "a service account needs the mailbox to impersonate",
                                       "set mailbox = \"user@your-domain\""));
      }
      break;
    case Flow::Delegated:
    case Flow::Password:
      break;
  }
  if (account.scopes.empty() && account.provider != ProviderKind::Generic) {
    return core::fail(config_error(section.location(), "no scopes",
                                   "set preset = \"smtp\", \"imap\", \"mail\" or \"graph\", or "
                                   "scopes = [...]"));
  }
  return {};
}

core::Result<Account> read_account(const std::string& name, const core::ConfigSection& section) {
  if (auto checked = check_account_name(name); !checked) {
    return core::fail(
        config_error(section.location(), checked.error().message(), checked.error().remedy()));
  }
  auto reading = read_keys(section);
  if (!reading) return core::fail(reading.error());
  reading->account.name = name;
  reading->account.location = section.location();
  for (const auto stage : {resolve_redirect, resolve_kinds, read_secrets, resolve_scopes,
                           check_mail_settings, resolve_endpoints, check_flow_needs}) {
    if (auto done = stage(*reading, section); !done) return core::fail(done.error());
  }
  return std::move(reading->account);
}

}  // namespace

bool Account::public_client() const {
  return secrets.empty() && certificate_file.empty();
}

core::Result<const Account*> AccountsConfig::find(std::string_view name) const {
  std::string known;
  for (const auto& account : accounts) {
    if (account.name == name) return &account;
    if (!known.empty()) known += ", ";
    known += account.name;
  }
  return core::fail(
      ErrorClass::Config, "config.no_account",
      fmt::format("no account \"{}\" in {}{}", core::escape_control_characters(name), path.string(),
                  file_exists ? "" : " (the file does not exist)"),
      known.empty()
          ? fmt::format("add one: mailoauth account add {} --provider microsoft ...",
                        core::escape_control_characters(name))
          : fmt::format("known accounts: {}; or add one with `mailoauth account add`", known));
}

core::Result<void> check_account_name(std::string_view name) {
  const bool sized = !name.empty() && name.size() <= 64;
  bool clean = sized;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) clean = false;
  }
  if (clean && name.front() != '-') return {};
  return core::fail(
      ErrorClass::Config, "config.account_name",
      fmt::format("\"{}\" cannot name an account", core::escape_control_characters(name)),
      "use 1 to 64 letters, digits, '.', '_' or '-', not starting with '-'");
}

core::Result<std::filesystem::path> default_config_path() {
  if (const char* explicit_path = std::getenv("MAILOAUTH_CONFIG");
      explicit_path && *explicit_path) {
    return std::filesystem::path(explicit_path);
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "mailoauth" / "config.toml";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".config" / "mailoauth" / "config.toml";
  }
  return core::fail(ErrorClass::Config, "config.no_path",
                    "no configuration path: HOME, XDG_CONFIG_HOME and MAILOAUTH_CONFIG are unset",
                    "set MAILOAUTH_CONFIG, or name the configuration file");
}

core::Result<AccountsConfig> parse_accounts(std::string_view text, std::string source_name) {
  auto document = core::ConfigDocument::parse(text, source_name);
  if (!document) return core::fail(document.error());
  AccountsConfig config;
  config.path = source_name;
  config.file_exists = true;
  const auto root = document->root();
  if (auto unknown = root.reject_unknown_keys({"default_account", "accounts"}); !unknown) {
    return core::fail(unknown.error());
  }
  auto default_account = root.optional_string("default_account");
  if (!default_account) return core::fail(default_account.error());
  config.default_account = default_account->value_or(std::string());
  auto accounts = root.optional_section("accounts");
  if (!accounts) return core::fail(accounts.error());
  if (*accounts) {
    for (const auto& [name, section] : (*accounts)->sections()) {
      auto account = read_account(name, section);
      if (!account) return core::fail(account.error());
      config.accounts.push_back(std::move(*account));
    }
  }
  if (!config.default_account.empty() && !config.find(config.default_account)) {
    return core::fail(ErrorClass::Config, "config.no_account",
                      fmt::format("{}: default_account \"{}\" is not an [accounts.*] table",
                                  root.location("default_account"),
                                  core::escape_control_characters(config.default_account)));
  }
  return config;
}

core::Result<AccountsConfig> load_accounts(const std::filesystem::path& path) {
  struct stat found {};
  if (::stat(path.c_str(), &found) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      return core::fail(
          ErrorClass::Config, "config.unreadable",
          fmt::format("cannot read {}: {}", path.string(), file_access_failure(path, errno)),
          "check the path and that this user may read it");
    }
    AccountsConfig empty;
    empty.path = path;
    return empty;
  }
  // Read once and parse once (`token get` runs before every mail connection).
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return core::fail(ErrorClass::Config, "config.unreadable",
                      fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)),
                      "check the path and that this user may read it");
  }
  std::error_code size_error;
  const auto size = std::filesystem::file_size(path, size_error);
  std::string text(
      std::min<std::uintmax_t>(size_error ? 0 : size, core::ConfigDocument::kMaxSize + 1), '\0');
  stream.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(stream.gcount()));
  auto config = parse_accounts(text, path.string());  // refuses text over kMaxSize
  if (!config) return config;
  // Inline secrets demand a private file.
  struct stat info {};
  bool has_inline = false;
  for (const auto& account : config->accounts) {
    for (const auto& secret : account.secrets) {
      has_inline = has_inline || secret.kind == SecretSource::Kind::Inline;
    }
  }
  // Relative file names are relative to the configuration file, not to
  // wherever the command happens to run (cron, systemd, a Nagios check).
  const auto base = path.parent_path();
  const auto anchor = [&base](std::string& file) {
    if (!file.empty() && std::filesystem::path(file).is_relative()) file = (base / file).string();
  };
  for (auto& account : config->accounts) {
    for (auto& secret : account.secrets) {
      if (secret.kind == SecretSource::Kind::File) anchor(secret.where);
    }
    anchor(account.certificate_file);
    anchor(account.private_key_file);
    anchor(account.service_account_file);
    anchor(account.ca_file);
  }
  if (has_inline && ::stat(path.c_str(), &info) == 0 && (info.st_mode & 0077) != 0) {
    return core::fail(ErrorClass::Config, "config.readable_secret",
                      fmt::format("{} holds a client secret but others can read it (mode {:o})",
                                  path.string(), info.st_mode & 0777),
                      fmt::format("chmod 600 {}, or move the secret to a file "
                                  "(client_secret_file) or the store (mailoauth account secret)",
                                  path.string()));
  }
  return config;
}

namespace {

// A secret file: at most kMaxSecretFile bytes (a larger file is not a secret),
// trailing newlines dropped, every buffer wiped; a refusal says why (errno,
// owner and mode) without a byte of the file.
core::Result<core::Secret> read_secret_file(const std::string& path) {
  const auto refused = [&path](int error_number) {
    return core::fail(ErrorClass::Config, "config.secret_file",
                      fmt::format("cannot read the client secret file {}: {}", path,
                                  file_access_failure(path, error_number)),
                      "check the path and that this user may read it");
  };
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return refused(errno);
  std::string text(kMaxSecretFile + 1, '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error_number = errno;
      ::close(fd);
      core::secure_wipe(text.data(), text.size());
      return refused(error_number);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done > kMaxSecretFile) {
    core::secure_wipe(text.data(), text.size());
    return core::fail(ErrorClass::Config, "config.secret_file",
                      fmt::format("{} is larger than a client secret can be", path),
                      "the file must hold only the secret's Value");
  }
  core::secure_wipe(text.data() + done, text.size() - done);
  text.resize(done);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) {
    return core::fail(ErrorClass::Config, "config.secret_file",
                      fmt::format("the client secret file {} is empty", path),
                      "write the secret's Value (not its ID) into it");
  }
  return core::Secret::take(std::move(text));
}

}  // namespace

core::Result<core::Secret> read_secret_source(const SecretSource& source) {
  switch (source.kind) {
    case SecretSource::Kind::Inline:
      return source.value.clone();
    case SecretSource::Kind::Environment: {
      const char* value = std::getenv(source.where.c_str());
      if (value == nullptr || *value == '\0') {
        return core::fail(ErrorClass::Config, "config.secret_env",
                          fmt::format("the client secret variable {} is not set", source.where),
                          "export it in the environment of the process (systemd: "
                          "Environment= or LoadCredential=)");
      }
      return core::Secret(value);
    }
    case SecretSource::Kind::File:
      return read_secret_file(source.where);
    case SecretSource::Kind::Store:
      break;
  }
  return core::fail(ErrorClass::Bug, "config.secret_store",
                    "a store secret is read from the token store, not here");
}

core::Result<core::Clock::WallTime> parse_expiry_date(std::string_view text) {
  int year = 0, month = 0, day = 0;
  char tail = 0;
  const std::string copy(text.substr(0, 10));
  if (text.size() < 10 ||
      std::sscanf(copy.c_str(), "%4d-%2d-%2d%c", &year, &month, &day, &tail) != 3 || month < 1 ||
      month > 12 || day < 1 || day > 31 || year < 2000 || year > 9999) {
    return core::fail(
        ErrorClass::Config, "config.bad_date",
        fmt::format("\"{}\" is not a date like 2027-06-30", core::escape_control_characters(text)));
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) {
    return core::fail(ErrorClass::Config, "config.bad_date",
                      fmt::format("{} does not exist", core::escape_control_characters(text)));
  }
  return core::Clock::WallTime(std::chrono::sys_days(date));
}

namespace {

std::string toml_string(std::string_view value) {
  std::string quoted = "\"";
  for (const char c : value) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\r':
        quoted += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          quoted += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

}  // namespace

std::string render_account(const AccountDraft& draft) {
  std::string text = fmt::format("[accounts.{}]\n", draft.name);
  for (const auto& [key, value] : {std::pair{"provider", &draft.provider},
                                   std::pair{"flow", &draft.flow},
                                   std::pair{"tenant", &draft.tenant},
                                   std::pair{"cloud", &draft.cloud},
                                   std::pair{"client_id", &draft.client_id},
                                   std::pair{"client_secret_file", &draft.client_secret_file},
                                   std::pair{"client_secret_env", &draft.client_secret_env},
                                   std::pair{"client_secret_expires", &draft.client_secret_expires},
                                   std::pair{"certificate_file", &draft.certificate_file},
                                   std::pair{"private_key_file", &draft.private_key_file},
                                   std::pair{"service_account_file", &draft.service_account_file},
                                   std::pair{"preset", &draft.preset},
                                   std::pair{"login_hint", &draft.login_hint},
                                   std::pair{"mailbox", &draft.mailbox},
                                   std::pair{"issuer", &draft.issuer},
                                   std::pair{"authorize_url", &draft.authorize_url},
                                   std::pair{"token_url", &draft.token_url},
                                   std::pair{"device_url", &draft.device_url},
                                   std::pair{"revocation_url", &draft.revocation_url},
                                   std::pair{"redirect_uri", &draft.redirect_uri}}) {
    if (!value->empty()) text += fmt::format("{} = {}\n", key, toml_string(*value));
  }
  if (!draft.scopes.empty()) {
    text += "scopes = [";
    for (std::size_t i = 0; i < draft.scopes.size(); ++i) {
      text += (i == 0 ? "" : ", ") + toml_string(draft.scopes[i]);
    }
    text += "]\n";
  }
  return text;
}

std::optional<std::string> remove_account_text(std::string_view text, std::string_view name) {
  // A header line is `[accounts.NAME]` or `[accounts.NAME.sub]` (spaces allowed
  // inside the brackets); everything up to the next other header goes.
  const auto header_of = [](std::string_view line) -> std::optional<std::string> {
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string_view::npos || line[start] != '[') return std::nullopt;
    const auto end = line.find(']', start);
    if (end == std::string_view::npos) return std::nullopt;
    std::string inner;
    for (const char c : line.substr(start + 1, end - start - 1)) {
      if (c != ' ' && c != '\t' && c != '[') inner += c;
    }
    return inner;
  };
  const std::string own = fmt::format("accounts.{}", name);
  std::string kept;
  bool inside = false;
  bool found = false;
  std::size_t position = 0;
  while (position < text.size()) {
    auto newline = text.find('\n', position);
    const std::size_t next = newline == std::string_view::npos ? text.size() : newline + 1;
    const std::string_view line = text.substr(position, next - position);
    if (auto header = header_of(line)) {
      inside = *header == own || header->starts_with(own + ".");
      found = found || inside;
    }
    if (!inside) kept.append(line);
    position = next;
  }
  if (!found) return std::nullopt;
  return kept;
}

}  // namespace mailoauth::oauth2
