// What every `mailoauth` subcommand sets up the same way: the logger (stderr,
// secrets redacted), the accounts file, the token store, the HTTP clients and
// token engines, and one way to report an Error and turn it into an exit code.
// Opening is lazy: `token get` with a cached token opens the config and the
// store and nothing else. There is one HTTP client (and one engine over it)
// per CA file, not one per process: two accounts that trust different CAs
// (an SMTP account and its `graph_account`, say) each get theirs.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_engine.hpp"
#include "mailoauth/oauth2/token_store.hpp"

#include "commands.hpp"

namespace mailoauth::app {

class AppContext {
 public:
  explicit AppContext(const GlobalOptions& global);

  core::Logger& logger() { return logger_; }
  core::Result<std::filesystem::path> config_path();
  core::Result<const oauth2::AccountsConfig*> accounts();
  core::Result<const oauth2::Account*> account(const std::string& name);
  core::Result<oauth2::TokenStore*> store();
  core::Result<oauth2::TokenEngine*> engine(const oauth2::Account& account);
  oauth2::HttpClient& http(const oauth2::Account& account);

  // Caps each HTTP request (connect and total) at `timeout`: a plugin's -t.
  // Takes effect for the HTTP clients made after the call.
  void limit_http_time(std::chrono::milliseconds timeout) { http_timeout_ = timeout; }

  // Prints "mailoauth: ..." to stderr and returns the class's exit code.
  int report(const core::Error& error);

 private:
  GlobalOptions global_;
  core::Logger logger_;
  std::optional<std::chrono::milliseconds> http_timeout_;
  std::optional<oauth2::AccountsConfig> accounts_;
  std::optional<oauth2::TokenStore> store_;
  // Keyed by the account's ca_file ("" for the system's trust store).
  std::map<std::string, std::unique_ptr<oauth2::HttpClient>> http_;
  oauth2::RealSleeper sleeper_;
  std::map<std::string, std::unique_ptr<oauth2::TokenEngine>> engines_;
};

// The browser sign-in of `token login` (authorization code + PKCE through a
// loopback listener); browser_login.cpp.
core::Result<oauth2::TokenResponse> browser_login(AppContext& context,
                                                  const oauth2::Account& account,
                                                  const oauth2::Endpoints& endpoints,
                                                  const oauth2::ClientIdentity& client,
                                                  const TokenLoginOptions& options);

}  // namespace mailoauth::app
