// The relay's SMTP server on Asio coroutines: it opens the configured
// listeners, accepts clients, and drives one smtp::ServerSession per
// connection — reading into smtp::ServerInput, writing the session's replies
// (all replies to pipelined commands in one write, in order), and doing the
// slow things the session asks for: the TLS handshake, a password check, a
// spool file, the message content, the commit. Nothing slow runs on the
// event loop: Argon2id and every spool write and fsync run on the thread pool
// the caller gives, and the session waits for them as a coroutine.
//
// The promise kept here: `250 2.0.0 Ok: queued as ID` is written only after
// IncomingMessage::commit() returned success (content, trailer, fsync, rename,
// directory fsync). A disk that is full answers 452 4.3.1 and the session
// goes on.
//
// Also here, because they need the socket: the refusal of a client that talks
// before the greeting (554 5.5.1 after a short listening pause), the session
// limits in total and per client address (421 4.7.0 at connect), the read
// deadlines (RFC 5321 4.5.3.2), the Received: trace header (RFC 5321 4.4)
// put before the content, and one log line per received message keyed by its
// queue id.
//
// Asio-facing like net/stream.hpp: included by the relay program and tests only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/relay/relay_config.hpp"
#include "mailoauth/relay/relay_users.hpp"
#include "mailoauth/relay/session_policy.hpp"
#include "mailoauth/smtp/server_session.hpp"

namespace mailoauth::relay {

// What every session shares. All of it outlives the server.
struct ServerServices {
  const RelayConfig* config = nullptr;
  queue::Spool* spool = nullptr;
  std::shared_ptr<const std::vector<RelayUser>> users;
  core::Logger* logger = nullptr;
  boost::asio::thread_pool* pool = nullptr;  // Argon2id and spool writes
  const core::Clock* clock = &core::system_clock();
  // Called on the event loop right after a message was committed to queue/
  // (the scheduler's hand-off); it must not block. Empty: nobody delivers.
  std::function<void(const std::string& queue_id, const std::string& route)> on_queued;
};

class SmtpServer {
 public:
  // Binds every listener now (a port in use is an error at start) and loads
  // their certificates. Accepting starts with start().
  static core::Result<std::unique_ptr<SmtpServer>> open(boost::asio::any_io_executor executor,
                                                        ServerServices services);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  // The rest is called on the executor's thread.
  void start();
  // Stops accepting (SIGTERM): a transaction in flight (MAIL FROM to the end
  // of its content) may finish; a session waiting for a command outside one
  // is closed now; any other gets 421 4.3.2 at its next command.
  void stop_accepting();
  // Ends every open session now (after the shutdown grace).
  void cancel_sessions();
  std::size_t sessions() const;
  // SIGHUP: new sessions use these users; open ones keep theirs.
  void set_users(std::shared_ptr<const std::vector<RelayUser>> users);
  // SIGHUP: the routes of `config` (nothing else of it) for every MAIL FROM
  // from now on, in open sessions too.
  void set_routes(std::shared_ptr<const RelayConfig> config);
  // SIGHUP: every TLS listener reads its certificate and key again (renewed
  // certificates); a listener whose files fail keeps its old context. The
  // errors, one per failing listener.
  std::vector<core::Error> reload_certificates();
  // The bound port of each listener, in the config's order (port 0 → the one chosen).
  std::vector<std::uint16_t> ports() const;

  struct Impl;

 private:
  explicit SmtpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace mailoauth::relay
