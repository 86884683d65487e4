// accounts.ini: check-mail's key names and rules over the go-ini file model.
#include "mailoauth/compat/accounts_ini.hpp"

#include <charconv>

#include <fmt/format.h>

#include "mailoauth/compat/go_ini.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::compat {
namespace {

std::string shown_in_message(std::string_view text) {
  return core::escape_control_characters(text.substr(0, 80));
}

constexpr std::string_view kAuthBasic = "basic";
constexpr std::string_view kAuthOAuth2 = "oauth2";

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// strings.Split(value, ",") then strings.Trim(each, `" `).
std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> items;
  for (;;) {
    const std::size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    const std::size_t first = item.find_first_not_of("\" ");
    item = first == std::string_view::npos
               ? std::string_view()
               : item.substr(first, item.find_last_not_of("\" ") - first + 1);
    items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

struct Reader {
  const IniFile& file;
  std::string_view file_name;
  AccountsIni result;

  std::unexpected<core::Error> missing(const IniSection& section, std::string_view key,
                                       std::string_view why) const {
    const std::string where =
        section.line == 0 ? std::string(file_name) : fmt::format("{}:{}", file_name, section.line);
    return core::fail(core::ErrorClass::Config, "accounts.missing_key",
                      fmt::format("{}: section [{}] needs {} ({})", where,
                                  shown_in_message(section.name), key, why));
  }

  std::unexpected<core::Error> bad(const IniKey& key, std::string why) const {
    return core::fail(
        core::ErrorClass::Config, "accounts.bad_value",
        fmt::format("{}:{}: {}: {}", file_name, key.line, shown_in_message(key.name), why));
  }

  void note_cut(const IniKey& key) {
    if (!key.cut_at_comment) return;
    result.warnings.push_back(fmt::format(
        "{}:{}: the value of {} was cut at a # or ; (go-ini reads them as a comment, even in "
        "double quotes); wrap the value in backticks to keep them",
        file_name, key.line, shown_in_message(key.name)));
  }

  core::Result<const IniKey*> need(const IniSection& section, std::string_view key,
                                   std::string_view why, bool in_parents) {
    const IniKey* found = in_parents ? file.lookup(section, key) : section.find(key);
    if (found == nullptr) return missing(section, key, why);
    note_cut(*found);
    if (found->value.empty()) return bad(*found, "is empty");
    return found;
  }
};

}  // namespace

std::string CheckMailAccount::summary_name() const {
  const std::string& box = mailbox();
  return box.substr(0, box.find('@'));
}

std::string accounts_report_summary(const std::vector<CheckMailAccount>& accounts) {
  std::string names;
  for (const auto& account : accounts) {
    if (!names.empty()) names += ", ";
    names += account.summary_name();
  }
  return "OK: Successfully generated reports for accounts: " + names;
}

// Long on purpose (~100 lines): check-mail's rules for DEFAULT and per-section
// keys, in the order its Go code applies them, to keep the two comparable.
core::Result<AccountsIni> read_accounts_ini(std::string_view text, std::string_view file_name) {
  auto file = parse_go_ini(text, file_name);
  if (!file) return std::unexpected(file.error());
  Reader reader{*file, file_name, {}};
  const IniSection& defaults = *file->section(kIniDefaultSection);

  auto auth_type = reader.need(defaults, "auth_type", "basic or oauth2", false);
  if (!auth_type) return std::unexpected(auth_type.error());
  const std::string& auth = (*auth_type)->value;
  if (auth != kAuthBasic && auth != kAuthOAuth2) {
    return reader.bad(**auth_type,
                      fmt::format("\"{}\" is not basic or oauth2 (lower case, as check-mail)",
                                  shown_in_message(auth)));
  }
  auto server = reader.need(defaults, "server_name", "the IMAP server's name", false);
  if (!server) return std::unexpected(server.error());
  auto port_key = reader.need(defaults, "server_port", "993 for IMAP over TLS", false);
  if (!port_key) return std::unexpected(port_key.error());
  int port = 0;
  {
    std::string_view digits = (*port_key)->value;
    if (digits.starts_with('+')) digits.remove_prefix(1);  // strconv.Atoi accepts a sign
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (error != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535) {
      return reader.bad(**port_key, fmt::format("\"{}\" is not a port number (1-65535)",
                                                shown_in_message((*port_key)->value)));
    }
  }

  CheckMailAccount shared;
  shared.auth_type = auth;
  shared.server = (*server)->value;
  shared.port = port;
  if (auth == kAuthOAuth2) {
    auto client_id = reader.need(defaults, "client_id", "the application (client) id", false);
    if (!client_id) return std::unexpected(client_id.error());
    auto secret = reader.need(defaults, "client_secret", "the client secret", false);
    if (!secret) return std::unexpected(secret.error());
    auto token_url = reader.need(defaults, "endpoint_token_url", "the token endpoint", false);
    if (!token_url) return std::unexpected(token_url.error());
    auto scopes =
        reader.need(defaults, "scopes", "e.g. https://outlook.office365.com/.default", false);
    if (!scopes) return std::unexpected(scopes.error());
    shared.client_id = (*client_id)->value;
    shared.client_secret = core::Secret((*secret)->value);
    shared.token_url = (*token_url)->value;
    shared.scopes = split_list((*scopes)->value);
    for (const auto& scope : shared.scopes) {
      if (scope.empty()) return reader.bad(**scopes, "contains an empty scope");
    }
  }

  static constexpr std::string_view kDefaultOnlyKeys[] = {
      "auth_type",     "server_name",        "server_port", "client_id",
      "client_secret", "endpoint_token_url", "scopes"};
  for (const IniSection& section : file->sections) {
    if (lower(section.name) == "default") continue;
    CheckMailAccount account;
    account.name = section.name;
    account.line = section.line;
    account.auth_type = shared.auth_type;
    account.server = shared.server;
    account.port = shared.port;
    account.client_id = shared.client_id;
    account.client_secret = shared.client_secret.clone();
    account.token_url = shared.token_url;
    account.scopes = shared.scopes;
    if (section.name.find('/') != std::string::npos || section.name == "." ||
        section.name == "..") {
      return core::fail(core::ErrorClass::Config, "accounts.bad_value",
                        fmt::format("{}:{}: section [{}]: a section name becomes a report file "
                                    "name and cannot contain '/' or be . or ..",
                                    file_name, section.line, shown_in_message(section.name)));
    }
    for (auto key : kDefaultOnlyKeys) {
      if (const IniKey* ignored = section.find(key)) {
        reader.result.warnings.push_back(
            fmt::format("{}:{}: {} in [{}] is ignored: check-mail reads it from [DEFAULT] only",
                        file_name, ignored->line, key, shown_in_message(section.name)));
      }
    }
    auto folders =
        reader.need(section, "folders", "e.g. folders = \"Inbox\", \"Junk EMail\"", true);
    if (!folders) return std::unexpected(folders.error());
    account.folders = split_list((*folders)->value);
    for (const auto& folder : account.folders) {
      if (folder.empty()) return reader.bad(**folders, "contains an empty folder name");
    }
    if (auth == kAuthBasic) {
      auto username = reader.need(section, "username", "the mailbox to log in as", true);
      if (!username) return std::unexpected(username.error());
      auto password = reader.need(section, "password", "the mailbox's password", true);
      if (!password) return std::unexpected(password.error());
      account.username = (*username)->value;
      account.password = core::Secret((*password)->value);
    } else {
      auto mailbox = reader.need(section, "shared_mailbox", "the mailbox to open", true);
      if (!mailbox) return std::unexpected(mailbox.error());
      account.shared_mailbox = (*mailbox)->value;
    }
    reader.result.accounts.push_back(std::move(account));
  }
  return std::move(reader.result);
}

}  // namespace mailoauth::compat
