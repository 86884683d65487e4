// The coroutine form of renew_once (see renew_once.hpp for the rule): the
// token getter and the attempt are coroutines, so a relay delivery asks the
// TokenSource for its token and for a renewed one without blocking its event
// loop. Asio-facing (asio::awaitable), so only code in `mailoauth_net` that
// is already a coroutine includes it. Parameters are taken by value: g++ 12
// double-frees coroutine parameters taken by reference to temporaries.
#pragma once

#include <functional>

#include <boost/asio/awaitable.hpp>

#include "mailoauth/oauth2/renew_once.hpp"

namespace mailoauth::oauth2 {

using AsyncTokenGetter =
    std::function<boost::asio::awaitable<core::Result<core::Secret>>(bool renew)>;

template <typename T>
boost::asio::awaitable<core::Result<T>> renew_once_async(
    AsyncTokenGetter token,
    std::function<boost::asio::awaitable<core::Result<T>>(core::Secret)> attempt,
    TokenRefused refused, bool* renewed = nullptr) {
  if (renewed != nullptr) *renewed = false;
  core::Result<core::Secret> first_token = co_await token(false);
  if (!first_token) co_return core::fail(std::move(first_token.error()));
  core::Result<T> first = co_await attempt(std::move(*first_token));
  if (first || !refused(first.error())) co_return first;
  if (renewed != nullptr) *renewed = true;
  core::Result<core::Secret> second_token = co_await token(true);
  if (!second_token) {
    co_return core::fail(renewal_failed(std::move(second_token.error()), first.error()));
  }
  core::Result<T> second = co_await attempt(std::move(*second_token));
  co_return second;
}

}  // namespace mailoauth::oauth2
