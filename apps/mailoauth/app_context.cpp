// Lazy set-up shared by the subcommands.
#include "app_context.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/oauth2/token_cache.hpp"

namespace mailoauth::app {

namespace {
core::LogLevel level_of(const GlobalOptions& global) {
  if (global.verbose) return core::LogLevel::Debug;
  auto level = core::parse_log_level(global.log_level);
  return level ? *level : core::LogLevel::Warn;
}
}  // namespace

AppContext::AppContext(const GlobalOptions& global) : global_(global), logger_(level_of(global)) {}

core::Result<std::filesystem::path> AppContext::config_path() {
  if (!global_.config_file.empty()) return std::filesystem::path(global_.config_file);
  auto path = oauth2::default_config_path();
  if (!path) path.error().with_remedy("give --config FILE, or set MAILOAUTH_CONFIG");
  return path;
}

core::Result<const oauth2::AccountsConfig*> AppContext::accounts() {
  if (!accounts_) {
    auto path = config_path();
    if (!path) return core::fail(path.error());
    auto loaded = oauth2::load_accounts(*path);
    if (!loaded) {
      if (loaded.error().code() == "config.unreadable") {
        loaded.error().with_remedy("check the path, or give another with --config FILE");
      }
      return core::fail(loaded.error());
    }
    accounts_ = std::move(*loaded);
  }
  return &*accounts_;
}

core::Result<const oauth2::Account*> AppContext::account(const std::string& name) {
  auto config = accounts();
  if (!config) return core::fail(config.error());
  return (*config)->find(name);
}

core::Result<oauth2::TokenStore*> AppContext::store() {
  if (!store_) {
    std::filesystem::path directory = global_.state_dir;
    if (directory.empty()) {
      auto found = oauth2::default_state_directory();
      if (!found) return core::fail(found.error());
      directory = *found;
    }
    auto opened = oauth2::open_default_store(directory);
    if (!opened) return core::fail(opened.error());
    store_.emplace(std::move(*opened));
  }
  return &*store_;
}

oauth2::HttpClient& AppContext::http(const oauth2::Account& account) {
  std::unique_ptr<oauth2::HttpClient>& client = http_[account.ca_file];
  if (!client) {
    oauth2::HttpSettings settings;
    settings.ca_file = account.ca_file;
    if (http_timeout_) {
      settings.connect_timeout = std::min(settings.connect_timeout, *http_timeout_);
      settings.total_timeout = std::min(settings.total_timeout, *http_timeout_);
    }
    client = std::make_unique<oauth2::HttpClient>(settings, &logger_);
  }
  return *client;
}

core::Result<oauth2::TokenEngine*> AppContext::engine(const oauth2::Account& account) {
  auto found = engines_.find(account.ca_file);
  if (found == engines_.end()) {
    auto opened = store();
    if (!opened) return core::fail(opened.error());
    auto engine = std::make_unique<oauth2::TokenEngine>(
        **opened, http(account), oauth2::RetryPolicy{}, sleeper_, core::system_clock(), &logger_);
    found = engines_.emplace(account.ca_file, std::move(engine)).first;
  }
  return found->second.get();
}

int AppContext::report(const core::Error& error) {
  fmt::print(stderr, "mailoauth: {}\n", error.describe());
  return core::policy_for(error.error_class()).exit_code;
}

}  // namespace mailoauth::app
