// A TCP listener for the servers mailoauth runs (the relay's SMTP listener,
// tests' peers): bind an address and port (0: a free one, read back with
// port()), then accept connections as server-side net::Streams. accept()
// waits for a client as long as it takes, because waiting for clients is a
// listener's job; close() ends that wait (shutdown). What a peer can make
// slow has a deadline: accept_tls() gives each TLS handshake its own.
//
// A server with many sessions accepts plainly and does the handshake inside
// each session (Stream::start_tls with the listener's TlsContext), so one
// slow client never holds the accept loop; accept_tls() is the one-at-a-time
// form for tests and tools.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/net/tls_context.hpp"

namespace mailoauth::net {

class Listener {
 public:
  // Binds `address` (an IP literal: "127.0.0.1", "::1", "0.0.0.0") and
  // `port`, and listens. A port in use or a privileged port is a Config error.
  static core::Result<Listener> open(asio::any_io_executor executor, std::string address,
                                     std::uint16_t port, int backlog = 128);

  Listener(Listener&&) noexcept;
  Listener& operator=(Listener&&) noexcept;
  ~Listener();

  std::uint16_t port() const;
  // "127.0.0.1:2525", for messages.
  const std::string& local() const;

  // The next client, as a plain server-side Stream. After close(): net.cancelled.
  asio::awaitable<core::Result<Stream>> accept();
  // The next client after the TLS handshake as server (implicit TLS), which
  // must finish within `handshake_timeout`. A client that fails the
  // handshake is an error here (the caller accepts again).
  asio::awaitable<core::Result<Stream>> accept_tls(std::shared_ptr<const TlsContext> context,
                                                   std::chrono::milliseconds handshake_timeout);
  // Stops listening; a pending accept() completes with net.cancelled. Call
  // it on the listener's executor.
  void close();

 private:
  struct Impl;
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailoauth::net
