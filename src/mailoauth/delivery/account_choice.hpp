// Which account sends a message: the one named, else the one whose mailbox
// is the sender (case-insensitively), else `default_account`, else the only
// one. `mailoauth send`, sendmail mode and the relay's routes choose the same
// way. Pure: the configuration is passed in. The errors speak of the account
// and the configuration, not of a command's flags: a command adds how its
// user names an account (`--account`, MAILOAUTH_ACCOUNT) as the remedy.
#pragma once

#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/account.hpp"

namespace mailoauth::delivery {

// Error codes: oauth2's unknown-account error for a name that is not there;
// `delivery.no_account` when nothing decides (kNoAccount).
inline constexpr std::string_view kNoAccount = "delivery.no_account";

core::Result<const oauth2::Account*> choose_account(const oauth2::AccountsConfig& config,
                                                    std::string_view name, std::string_view sender);

}  // namespace mailoauth::delivery
