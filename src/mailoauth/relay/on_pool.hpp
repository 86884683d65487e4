// Blocking work (a spool write and its fsyncs, Argon2id) run on a thread pool
// from a coroutine, which resumes on its own executor with the result: the
// relay's event loop never waits for a disk. Shared by the listener (commit
// before 250) and the scheduler (delivery state before acting on it).
//
// `work` is copied into the pool's queue: it must capture only pointers and
// references to objects in the caller's frame (which lives until the result
// arrives). g++ 12 relocates coroutine arguments bitwise in places, which
// breaks a captured std::string's short-string buffer (seen: free() of a
// pointer into the frame). Asio-facing: included by mailoauth_net code only.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailoauth::relay {

template <typename Work>
boost::asio::awaitable<std::invoke_result_t<Work&>> on_pool(boost::asio::thread_pool& pool,
                                                            Work work) {
  namespace asio = boost::asio;
  using Result = std::invoke_result_t<Work&>;
  auto initiate = [&pool, work = std::move(work)](auto handler) mutable {
    // The event loop keeps running while the pool works (a tracked executor).
    auto executor = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
    asio::post(pool, [work = std::move(work), handler = std::move(handler), executor]() mutable {
      auto result = std::make_shared<std::optional<Result>>(work());
      asio::dispatch(executor, [handler = std::move(handler), result]() mutable {
        std::move(handler)(std::move(**result));
      });
    });
  };
  Result result = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(Result)>(
      std::move(initiate), asio::use_awaitable);
  co_return result;
}

}  // namespace mailoauth::relay
