// `mailoauth account add|list|show|remove|secret`. The configuration is
// edited as text (a table appended or cut) and checked by parsing the result
// before it replaces the file atomically (0600, directory 0700), so a bad
// `account add` leaves the file as it was. Secrets never travel in argv: a
// secret comes from a file, an environment variable, or stdin into the
// token store, sealed.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/file_write.hpp"

#include "app_context.hpp"
#include "commands.hpp"

namespace mailoauth::app {

namespace {

using core::ErrorClass;

core::Result<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return std::string();
  std::ostringstream buffer;
  buffer << stream.rdbuf();
  return buffer.str();
}

core::Result<void> write_config(const std::filesystem::path& path, std::string_view text) {
  const auto directory = path.parent_path();
  if (!directory.empty()) {
    std::error_code error;
    if (std::filesystem::create_directories(directory, error)) ::chmod(directory.c_str(), 0700);
  }
  return core::atomic_write_file(path, text, 0600);
}

// A secret from stdin: one line, or all of it when piped; trailing newlines dropped.
core::Result<core::Secret> secret_from_stdin() {
  if (::isatty(STDIN_FILENO)) {
    fmt::print(stderr, "Paste the client secret's Value (not its ID), then press Enter: ");
  }
  std::string text;
  std::getline(std::cin, text);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
  if (text.empty()) {
    return core::fail(ErrorClass::Config, "account.empty_secret", "no client secret on stdin",
                      "pipe it in: mailoauth account secret NAME < secret.txt");
  }
  return core::Secret::take(std::move(text));
}

std::string when(const std::optional<core::Clock::WallTime>& time) {
  return time ? core::format_rfc3339_utc(*time, false) : std::string("-");
}

std::string source_text(const oauth2::SecretSource& source) {
  switch (source.kind) {
    case oauth2::SecretSource::Kind::Inline:
      return "in the configuration (" + source.where + ")";
    case oauth2::SecretSource::Kind::File:
      return "file " + source.where;
    case oauth2::SecretSource::Kind::Environment:
      return "environment variable " + source.where;
    case oauth2::SecretSource::Kind::Store:
      return "token store";
  }
  return "?";
}

}  // namespace

// Long on purpose (~85 lines): every option is checked and explained in the
// order `account add --help` lists them before the file is touched.
int account_add(const GlobalOptions& global, const AccountAddOptions& options) {
  AppContext context(global);
  auto path = context.config_path();
  if (!path) return context.report(path.error());
  auto existing = read_text(*path);
  if (!existing) return context.report(existing.error());
  if (auto checked = oauth2::check_account_name(options.name); !checked) {
    return context.report(checked.error());
  }

  oauth2::AccountDraft draft;
  draft.name = options.name;
  draft.provider = options.provider;
  draft.flow = options.flow;
  draft.tenant = options.tenant;
  draft.cloud = options.cloud;
  draft.client_id = options.client_id;
  draft.client_secret_file = options.client_secret_file;
  draft.client_secret_env = options.client_secret_env;
  draft.client_secret_expires = options.secret_expires;
  draft.certificate_file = options.certificate_file;
  draft.private_key_file = options.private_key_file;
  draft.service_account_file = options.service_account_file;
  // Files named on the command line are relative to where it runs; the
  // configuration anchors relative names at its own directory, so store absolute ones.
  for (std::string* file : {&draft.client_secret_file, &draft.certificate_file,
                            &draft.private_key_file, &draft.service_account_file}) {
    if (!file->empty()) *file = std::filesystem::absolute(*file).lexically_normal().string();
  }
  draft.preset = options.preset;
  draft.scopes = options.scopes;
  draft.login_hint = options.login_hint;
  draft.mailbox = options.mailbox;
  draft.issuer = options.issuer;
  draft.authorize_url = options.authorize_url;
  draft.token_url = options.token_url;
  draft.device_url = options.device_url;
  draft.revocation_url = options.revocation_url;
  draft.redirect_uri = options.redirect_uri;
  if (draft.preset.empty() && draft.scopes.empty() && draft.provider != "generic") {
    draft.preset = "mail";
  }

  std::string text = *existing;
  if (!text.empty() && text.back() != '\n') text += '\n';
  if (!text.empty()) text += '\n';
  text += oauth2::render_account(draft);

  // A store secret must exist before the account checks as complete.
  std::optional<core::Secret> stdin_secret;
  if (options.client_secret_stdin) {
    auto secret = secret_from_stdin();
    if (!secret) return context.report(secret.error());
    stdin_secret = std::move(*secret);
  }
  if (auto before = oauth2::parse_accounts(*existing, path->string());
      before && before->find(options.name)) {
    return context.report(core::Error(
        ErrorClass::Config, "account.exists",
        fmt::format("account \"{}\" already exists in {}", options.name, path->string()),
        fmt::format("pick another name, or `mailoauth account remove {}` first", options.name)));
  }
  auto parsed = oauth2::parse_accounts(text, path->string());
  if (!parsed) return context.report(parsed.error());
  if (stdin_secret) {
    auto store = context.store();
    if (!store) return context.report(store.error());
    std::optional<core::Clock::WallTime> expires;
    if (!options.secret_expires.empty()) {
      auto date = oauth2::parse_expiry_date(options.secret_expires);
      if (!date) return context.report(date.error());
      expires = *date;
    }
    if (auto saved = (*store)->rotate_client_secret(options.name, *stdin_secret, expires); !saved) {
      return context.report(saved.error());
    }
  }
  if (auto written = write_config(*path, text); !written) return context.report(written.error());
  fmt::print("Added account {} to {}\n", options.name, path->string());
  if (auto found = parsed->find(options.name); found && (*found)->flow == oauth2::Flow::Delegated) {
    fmt::print("Next: sign in once with `mailoauth token login {}`\n", options.name);
  } else if (found) {
    fmt::print("Next: check it with `mailoauth token get {} --format json`\n", options.name);
  }
  return core::kExitOk;
}

int account_list(const GlobalOptions& global) {
  AppContext context(global);
  auto config = context.accounts();
  if (!config) return context.report(config.error());
  if ((*config)->accounts.empty()) {
    fmt::print(stderr, "no accounts in {}; add one with `mailoauth account add`\n",
               (*config)->path.string());
    return core::kExitOk;
  }
  fmt::print("{:<20} {:<10} {:<16} {}\n", "ACCOUNT", "PROVIDER", "FLOW", "USER");
  for (const auto& account : (*config)->accounts) {
    fmt::print("{:<20} {:<10} {:<16} {}\n", account.name, oauth2::to_string(account.provider),
               oauth2::to_string(account.flow), account.user().empty() ? "-" : account.user());
  }
  return core::kExitOk;
}

int account_show(const GlobalOptions& global, const std::string& name) {
  AppContext context(global);
  auto found = context.account(name);
  if (!found) return context.report(found.error());
  const oauth2::Account& account = **found;
  fmt::print("account        {}  ({})\n", account.name, account.location);
  fmt::print("provider       {}\n", oauth2::to_string(account.provider));
  fmt::print("flow           {}\n", oauth2::to_string(account.flow));
  if (!account.tenant.empty()) fmt::print("tenant         {}\n", account.tenant);
  fmt::print("client id      {}\n", account.client_id.empty() ? "-" : account.client_id);
  if (account.secrets.empty() && account.certificate_file.empty() &&
      account.flow != oauth2::Flow::ServiceAccount) {
    fmt::print("client secret  none in the configuration (public client, or in the store)\n");
  }
  for (const auto& secret : account.secrets) {
    fmt::print("client secret  {}: {}{}\n", secret.slot, source_text(secret),
               secret.expires ? ", expires " + when(secret.expires) : "");
  }
  if (!account.certificate_file.empty()) {
    fmt::print("certificate    {}{}\n", account.certificate_file,
               account.private_key_file.empty() ? "" : " (key " + account.private_key_file + ")");
  }
  if (!account.service_account_file.empty()) {
    fmt::print("service acct   {}\n", account.service_account_file);
  }
  std::string scopes;
  for (const auto& scope : account.scopes) scopes += (scopes.empty() ? "" : " ") + scope;
  fmt::print(
      "scopes         {}{}\n", scopes.empty() ? "-" : scopes,
      account.preset ? fmt::format("  (preset {})", oauth2::to_string(*account.preset)) : "");
  fmt::print("user           {}\n", account.user().empty() ? "-" : account.user());
  fmt::print("authorize      {}\n",
             account.endpoints.authorize_url.empty() ? "-" : account.endpoints.authorize_url);
  fmt::print("token          {}\n", account.endpoints.token_url.empty()
                                        ? "(discovered from " + account.issuer + ")"
                                        : account.endpoints.token_url);
  fmt::print("device         {}\n",
             account.endpoints.device_url.empty() ? "-" : account.endpoints.device_url);
  if (account.flow == oauth2::Flow::Delegated) {
    fmt::print("redirect       {}\n",
               account.redirect_port == 0
                   ? fmt::format("http://{}{}  (port chosen at sign-in)", account.redirect_host,
                                 account.redirect_path)
                   : fmt::format("http://{}:{}{}", account.redirect_host, account.redirect_port,
                                 account.redirect_path));
  }
  fmt::print("refresh margin {} s\n", account.refresh_margin.count());
  return core::kExitOk;
}

int account_remove(const GlobalOptions& global, const std::string& name, bool keep_tokens) {
  AppContext context(global);
  auto path = context.config_path();
  if (!path) return context.report(path.error());
  auto text = read_text(*path);
  if (!text) return context.report(text.error());
  auto without = oauth2::remove_account_text(*text, name);
  if (!without) {
    return context.report(
        core::Error(ErrorClass::Config, "config.no_account",
                    fmt::format("no [accounts.{}] table in {}", name, path->string()),
                    "see `mailoauth account list`"));
  }
  if (auto parsed = oauth2::parse_accounts(*without, path->string()); !parsed) {
    return context.report(parsed.error());
  }
  if (!keep_tokens) {
    auto store = context.store();
    if (!store) return context.report(store.error());
    if (auto removed = (*store)->remove(name); !removed) return context.report(removed.error());
    if (auto removed = (*store)->remove_client_secrets(name); !removed) {
      return context.report(removed.error());
    }
  }
  if (auto written = write_config(*path, *without); !written) {
    return context.report(written.error());
  }
  fmt::print("Removed account {}{}\n", name,
             keep_tokens ? " (its tokens stay in the store)" : " and its stored tokens");
  return core::kExitOk;
}

int account_secret(const GlobalOptions& global, const std::string& name,
                   const std::string& expires) {
  AppContext context(global);
  if (auto checked = oauth2::check_account_name(name); !checked) {
    return context.report(checked.error());
  }
  std::optional<core::Clock::WallTime> expiry;
  if (!expires.empty()) {
    auto date = oauth2::parse_expiry_date(expires);
    if (!date) return context.report(date.error());
    expiry = *date;
  }
  auto secret = secret_from_stdin();
  if (!secret) return context.report(secret.error());
  auto store = context.store();
  if (!store) return context.report(store.error());
  if (auto saved = (*store)->rotate_client_secret(name, *secret, expiry); !saved) {
    return context.report(saved.error());
  }
  fmt::print(
      "Stored a new client secret for {} (sealed in {}); the one before it is kept as "
      "the previous secret until the next rotation\n",
      name, (*store)->path().string());
  return core::kExitOk;
}

}  // namespace mailoauth::app
