// Runs one coroutine to completion on an io_context of its own, for the
// doctor's steps, which are sequential: between two steps no loop runs, so a
// step that blocks (the token request, over libcurl) blocks no event loop
// and leaves the open mail connection simply idle. Asio-facing: included by
// the walk files that run coroutines only.
#pragma once

#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

namespace mailoauth::doctor_app {

template <typename T>
T run_coroutine(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  boost::asio::co_spawn(io, std::move(task), [&result](std::exception_ptr failure, T value) {
    if (failure) std::rethrow_exception(failure);
    result = std::move(value);
  });
  io.restart();
  io.run();
  return std::move(*result);
}

inline void run_coroutine(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  boost::asio::co_spawn(io, std::move(task), [](std::exception_ptr failure) {
    if (failure) std::rethrow_exception(failure);
  });
  io.restart();
  io.run();
}

template <typename T>
T run_coroutine(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  return run_coroutine(io, std::move(task));
}

}  // namespace mailoauth::doctor_app
