// Which SASL mechanisms a connection may use, in preference order: the one
// asked for, else the account's auth_mechanisms, else XOAUTH2 then
// OAUTHBEARER for an account (tokens) and PLAIN then LOGIN without one (a
// password). The client then takes the first of these the server offers.
// Pure.
#pragma once

#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::delivery {

// `requested`: a mechanism name, or empty. Config error `delivery.bad_mechanism`.
core::Result<std::vector<sasl::Mechanism>> choose_mechanisms(std::string_view requested,
                                                             const oauth2::Account* account);

// True when any of them needs a password rather than a token.
bool needs_password(const std::vector<sasl::Mechanism>& mechanisms);

}  // namespace mailoauth::delivery
