// "Renew once after the server refused the token": the one rule SMTP AUTH,
// IMAP AUTHENTICATE and Graph's 401 share. A token that looks valid to us can
// still be refused (revoked, rotated early, an identity server that restarted),
// and a cron job or a relay delivery must not fail on what a second try with a
// fresh token would have saved; but a token refused twice is refused for good,
// and asking again would only hammer the identity server. So: get a token, try;
// when the attempt's error is the server refusing the token (each protocol
// says what that looks like), ask for a renewed token and try exactly once more.
//
// This is the synchronous form, with no I/O of its own, for the programs that
// call blocking code; renew_once_async.hpp has the coroutine form (Asio) with
// the same rules. Both are templates over the attempt's result.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

// The margin that makes the token engine renew whatever is stored (longer
// than any token lives): what a getter asks for when `renew` is true.
inline constexpr std::chrono::seconds kRenewNowMargin = std::chrono::hours(24 * 3650);

// A token for the attempt: `renew` false for the usual one (a cached token is
// fine), true after a refusal (a new one, even if the old one looks valid).
using TokenGetter = std::function<core::Result<core::Secret>(bool renew)>;

// Whether an attempt's error means "the server refused this token" — not the
// network, not a policy, not a full mailbox: only then does a new token help.
using TokenRefused = std::function<bool(const core::Error&)>;

// The error when the renewal itself fails after a refusal: the renewal's
// error (it says what to fix: a revoked refresh token, a dead identity
// server), with the server's refusal quoted before it.
inline core::Error renewal_failed(core::Error renewal, const core::Error& refusal) {
  renewal.context("renewing the token after the server refused it (" + refusal.message() + ")");
  return renewal;
}

// Gets a token, runs `attempt` with it and, when `refused` says the server
// refused the token, gets a renewed one and runs `attempt` once more. The
// second attempt's result is final, refused or not. `renewed` (optional) is
// set when a renewed token was asked for.
template <typename T>
core::Result<T> renew_once(const TokenGetter& token,
                           const std::function<core::Result<T>(core::Secret)>& attempt,
                           const TokenRefused& refused, bool* renewed = nullptr) {
  if (renewed != nullptr) *renewed = false;
  auto first_token = token(false);
  if (!first_token) return core::fail(std::move(first_token.error()));
  core::Result<T> first = attempt(std::move(*first_token));
  if (first || !refused(first.error())) return first;
  if (renewed != nullptr) *renewed = true;
  auto second_token = token(true);
  if (!second_token)
    return core::fail(renewal_failed(std::move(second_token.error()), first.error()));
  return attempt(std::move(*second_token));
}

}  // namespace mailoauth::oauth2
