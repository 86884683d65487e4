// `mailoauth token export|import`: moving tokens (and client secrets kept in
// the store) to another host without signing in again. The file is sealed
// with a passphrase (oauth2/token_export) and written 0600 atomically; the
// passphrase comes from --passphrase-file, MAILOAUTH_EXPORT_PASSPHRASE, or
// the terminal with echo off — never from the command line. Import refuses to
// overwrite an account that already has tokens unless --replace.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include "mailoauth/core/file_write.hpp"
#include "mailoauth/oauth2/token_export.hpp"

#include "app_context.hpp"
#include "commands.hpp"

namespace mailoauth::app {

namespace {

using core::ErrorClass;

core::Result<core::Secret> read_passphrase(const std::string& file, bool twice) {
  if (!file.empty()) {
    std::ifstream stream(file, std::ios::binary);
    if (!stream) {
      return core::fail(ErrorClass::Config, "export.passphrase_file",
                        fmt::format("cannot read the passphrase file {}", file),
                        "check the path and that this user may read it");
    }
    std::string text;
    std::getline(stream, text);
    while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
    return core::Secret::take(std::move(text));
  }
  if (const char* value = std::getenv("MAILOAUTH_EXPORT_PASSPHRASE"); value && *value) {
    return core::Secret(value);
  }
  if (!::isatty(STDIN_FILENO)) {
    return core::fail(ErrorClass::Config, "export.no_passphrase", "no passphrase given",
                      "use --passphrase-file FILE or set MAILOAUTH_EXPORT_PASSPHRASE");
  }
  const auto ask = [](const char* prompt) {
    fmt::print(stderr, "{}", prompt);
    std::fflush(stderr);
    termios saved{};
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string text;
    std::getline(std::cin, text);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    fmt::print(stderr, "\n");
    return core::Secret::take(std::move(text));
  };
  core::Secret first = ask("Passphrase for the export file: ");
  if (twice && !first.equals(ask("Again: "))) {
    return core::fail(ErrorClass::Config, "export.passphrase_mismatch",
                      "the two passphrases differ", "run again and type the same one twice");
  }
  return first;
}

}  // namespace

int token_export(const GlobalOptions& global, const TokenExportOptions& options) {
  AppContext context(global);
  std::vector<std::string> names = options.accounts;
  if (names.empty()) {
    auto config = context.accounts();
    if (!config) return context.report(config.error());
    for (const auto& account : (*config)->accounts) names.push_back(account.name);
  }
  auto store = context.store();
  if (!store) return context.report(store.error());
  std::vector<oauth2::ExportedAccount> accounts;
  for (const auto& name : names) {
    auto tokens = (*store)->load(name);
    if (!tokens) return context.report(tokens.error());
    auto secrets = (*store)->client_secrets(name);
    if (!secrets) return context.report(secrets.error());
    if (!*tokens && secrets->empty()) {
      fmt::print(stderr, "{}: nothing stored, skipped\n", name);
      continue;
    }
    oauth2::ExportedAccount account;
    account.name = name;
    if (*tokens) account.tokens = std::move(**tokens);
    account.client_secrets = std::move(*secrets);
    accounts.push_back(std::move(account));
  }
  if (accounts.empty()) {
    return context.report(core::Error(ErrorClass::Config, "export.empty",
                                      "no stored tokens or secrets to export",
                                      "sign in first: mailoauth token login NAME"));
  }
  auto passphrase = read_passphrase(options.passphrase_file, true);
  if (!passphrase) return context.report(passphrase.error());
  auto text = oauth2::seal_export(accounts, *passphrase);
  if (!text) return context.report(text.error());
  if (auto written = core::atomic_write_file(options.file, *text, 0600); !written) {
    return context.report(written.error());
  }
  fmt::print(
      "Exported {} account(s) to {} (encrypted; the configuration is not included: "
      "copy config.toml too)\n",
      accounts.size(), options.file);
  return core::kExitOk;
}

int token_import(const GlobalOptions& global, const TokenImportOptions& options) {
  AppContext context(global);
  std::ifstream stream(options.file, std::ios::binary);
  if (!stream) {
    return context.report(core::Error(ErrorClass::Config, "export.unreadable",
                                      fmt::format("cannot read {}", options.file),
                                      "give the file `mailoauth token export` wrote"));
  }
  std::error_code size_error;
  const auto size = std::filesystem::file_size(options.file, size_error);
  std::string text(std::min<std::uintmax_t>(size_error ? 0 : size, oauth2::kMaxExportSize + 1),
                   '\0');
  stream.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(stream.gcount()));
  auto passphrase = read_passphrase(options.passphrase_file, false);
  if (!passphrase) return context.report(passphrase.error());
  auto accounts = oauth2::open_export(text, *passphrase);
  if (!accounts) return context.report(accounts.error());
  auto store = context.store();
  if (!store) return context.report(store.error());
  for (const auto& account : *accounts) {
    if (auto checked = oauth2::check_account_name(account.name); !checked) {
      return context.report(checked.error());
    }
    auto existing = (*store)->load(account.name);
    if (!existing) return context.report(existing.error());
    if (*existing && !options.replace) {
      return context.report(core::Error(
          ErrorClass::Config, "import.exists",
          fmt::format("account {} already has tokens here; nothing was imported", account.name),
          "add --replace to overwrite them, or `mailoauth token revoke --keep-local` first"));
    }
  }
  for (const auto& account : *accounts) {
    if (!account.tokens.access_token.empty() || !account.tokens.refresh_token.empty()) {
      if (auto saved = (*store)->save(account.name, account.tokens); !saved) {
        return context.report(saved.error());
      }
    }
    if (!account.client_secrets.empty()) {
      if (auto saved = (*store)->replace_client_secrets(account.name, account.client_secrets);
          !saved) {
        return context.report(saved.error());
      }
    }
    fmt::print("Imported {}\n", account.name);
  }
  auto config = context.accounts();
  if (config) {
    for (const auto& account : *accounts) {
      if (!(*config)->find(account.name)) {
        fmt::print(stderr, "note: {} is not in {}; copy its [accounts.{}] table too\n",
                   account.name, (*config)->path.string(), account.name);
      }
    }
  }
  return core::kExitOk;
}

}  // namespace mailoauth::app
