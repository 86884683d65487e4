// The account for a message; see account_choice.hpp.
#include "mailoauth/delivery/account_choice.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::delivery {

core::Result<const oauth2::Account*> choose_account(const oauth2::AccountsConfig& config,
                                                    std::string_view name,
                                                    std::string_view sender) {
  if (!name.empty()) return config.find(name);
  if (!sender.empty()) {
    for (const oauth2::Account& account : config.accounts) {
      if (!account.user().empty() && core::iequals(account.user(), sender)) return &account;
    }
  }
  if (!config.default_account.empty()) return config.find(config.default_account);
  if (config.accounts.size() == 1) return &config.accounts.front();
  if (config.accounts.empty()) {
    return core::fail(core::ErrorClass::Config, std::string(kNoAccount),
                      fmt::format("no account is configured in {}", config.path.string()),
                      "add one with `mailoauth account add` (docs/tokens.md)");
  }
  return core::fail(
      core::ErrorClass::Config, std::string(kNoAccount),
      sender.empty()
          ? fmt::format("no account was named and {} sets no default_account", config.path.string())
          : fmt::format("no account was named, none has the mailbox \"{}\", and {} sets no "
                        "default_account",
                        core::escape_control_characters(sender), config.path.string()),
      "name the account, or set default_account = \"NAME\" at the top of the configuration");
}

}  // namespace mailoauth::delivery
