// A connection to a mail server: TCP to each resolved address in turn (IPv4,
// IPv6 or both, as check-mail's --net-type), upgradable to TLS in place
// (STARTTLS) or TLS from the start (implicit, ports 993/465), and every
// operation under a deadline, so a server that accepts and never answers
// turns into a Temporary error within the time the caller chose.
//
// TLS: certificate verification is on unless the caller turns it off (and
// then logs it loudly); the name checked is the server name (a DNS name or an
// IP literal, both supported), SNI is sent for DNS names, the minimum version
// is TLS 1.2 unless lowered, and a CA file can replace the system's trust
// store. A certificate that is not trusted comes back as a Config error that
// names OpenSSL's reason and the --ca-file remedy.
//
// Server side: a Stream also wraps an accepted socket (Listener::accept, or
// adopt() for a descriptor from elsewhere) and does the TLS handshake as the
// server, at once (implicit TLS) or after the protocol's STARTTLS. TLS
// settings come as a TlsContext (tls_context.hpp) made once per destination
// or listener and shared; the TlsSettings overload makes one for a single
// connection, as the clients have always done.
//
// Cancellation: cancel() ends the operations pending on the stream (a read
// waiting on a silent peer, a write, a handshake) with `net.cancelled` and
// makes later ones fail the same way at once, for a session watchdog or a
// shutdown. Cancellation is this explicit call; Asio's cancellation slots
// are not part of the contract (a cancelled timer would read as a timeout).
//
// This header is Asio-facing on purpose: the SMTP and IMAP clients are
// coroutines and include it from their .cpp files; nothing else should. The
// library `mailoauth_net` (it links libssl) is linked only by the programs
// that talk to mail servers, so `mailoauth token get` does not pay for
// loading it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/net/connection_settings.hpp"
#include "mailoauth/net/tls_context.hpp"

namespace mailoauth::net {

namespace asio = boost::asio;

struct PeerCertificate {
  std::string subject;
  std::string issuer;
  std::optional<core::Clock::WallTime> not_after;
  std::string protocol;  // "TLSv1.3"
  std::string cipher;
};

class Stream {
 public:
  // Resolves `host` and tries each address of the wanted family in turn
  // within `timeout` overall. Refused/unreachable/timeout: Temporary; a name
  // that does not resolve: Temporary (DNS may come back), with the name in it.
  static asio::awaitable<core::Result<Stream>> connect(std::string host, std::uint16_t port,
                                                       NetType net_type,
                                                       std::chrono::milliseconds timeout);

  // Wraps a connected TCP socket's descriptor (accepted by a listener, or
  // handed over by systemd); the Stream owns it from here. Server side.
  static core::Result<Stream> adopt(asio::any_io_executor executor, int native_socket);

  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  ~Stream();

  // TLS over the connection (at once for implicit TLS, after the protocol's
  // STARTTLS for the other). Bytes received before it must have been
  // consumed: a server that sends more after its STARTTLS answer is refused
  // (a STARTTLS command injection, CVE-2011-0411).
  // (Coroutine parameters are taken by value: a reference would dangle once
  // the caller's full-expression ends while the coroutine is suspended.)
  asio::awaitable<core::Result<void>> start_tls(TlsSettings settings,
                                                std::chrono::milliseconds timeout);
  // The same with a shared context; its role says which side of the
  // handshake this is. `unconsumed_bytes` is what the caller's protocol layer
  // has read beyond the STARTTLS command (server) or answer (client) and not
  // used: anything there is an injection and is refused. On the server side
  // bytes already waiting in the socket are allowed only when they start a
  // TLS record (the client's hello may well arrive before we get here);
  // plaintext there is the injection case too.
  asio::awaitable<core::Result<void>> start_tls(std::shared_ptr<const TlsContext> context,
                                                std::chrono::milliseconds timeout,
                                                std::size_t unconsumed_bytes = 0);

  // Up to `max` bytes as they arrive; an empty string never: end of stream
  // is an error (the server closed the connection).
  asio::awaitable<core::Result<std::string>> read_some(std::size_t max,
                                                       std::chrono::milliseconds timeout);
  // `bytes` must stay alive until the write completes (it is not copied).
  asio::awaitable<core::Result<void>> write(std::string_view bytes,
                                            std::chrono::milliseconds timeout);

  // Ends pending operations with `net.cancelled` (naming `reason`, e.g.
  // "the server is shutting down") and fails later ones at once. Call it on
  // the stream's executor (post it there from another thread).
  void cancel(std::string reason = "cancelled");
  bool cancelled() const;
  // Ends the read_some pending now (or, when none is, the next one) with
  // `net.interrupted`, naming `reason`; unlike cancel(), the stream stays
  // usable: a server stopping interrupts an idle session's read to send it
  // 421 before it closes (RFC 5321 3.8). Call it on the stream's executor.
  void interrupt(std::string reason);

  bool encrypted() const;
  // True for a stream made by adopt() (the peer is a client).
  bool server_side() const;
  std::optional<PeerCertificate> peer_certificate() const;
  // "127.0.0.1:993" (for a server-side stream: the client's address), for messages.
  const std::string& peer() const;
  void close();

 private:
  struct Impl;
  explicit Stream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailoauth::net
