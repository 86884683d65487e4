// The relay's scheduler: it delivers what the listener spooled. Messages
// come in two ways — at start every message recovered from queue/ (not held;
// at its next_attempt), and while running each message the listener just
// committed (queued(), called on the event loop, never waited for) — and go
// into their route's ready list.
//
// Per route: at most `connections` upstream sessions at once, at most
// `messages_per_minute` message starts in any 60 s, and a cool-down after a
// throttling reply (432 4.3.2, 4.7.x "throttled"/"concurrency"/"limit") or a
// failed connect, `first_retry` long, in which no session is opened and the
// route's waiting messages stay queued (not each tried and deferred). A session carries message
// after message of its route (the client resets between them when a transaction was left open) and
// lingers a few seconds for more before QUIT; another is opened only when more than two messages
// per open session are waiting, so a handful of messages share one connection and a flood uses them
// all.
//
// Each attempt: read the envelope and state and open the content (on the
// thread pool), deliver to the recipients neither Sent nor Failed, apply the
// rules of delivery_attempt, write the state durably (on the pool) BEFORE
// acting on it, then remove the message (all sent), move it to failed/ (some
// failed) or wait for its next attempt. One log line per attempt keyed by
// the queue id. With the route's pipeline_messages, a session already open
// sends the ready messages the rate allows (up to 10) as one pipelined
// smtp::Session::send_batch, each message still recorded and settled on its
// own, in order. Nothing here blocks the event loop: the spool on the pool,
// tokens from the TokenSource, the content read on the pool too
// (relay/spool_message_reader, with the route's sender rewrite). Graph routes
// (transport = "graph") go through GraphDelivery (graph_delivery.hpp): one
// sendMail per attempt on a pool of its own, counted as a session against
// `connections`, a Retry-After pausing the route. Routes with transport =
// "auto" go there too while relay/transport_fallback says so (SMTP AUTH was
// refused as switched off; the state kept per route name across a reload).
// Asio-facing: part of mailoauth_net.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/token_source.hpp"
#include "mailoauth/queue/control_protocol.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/relay/relay_config.hpp"

namespace mailoauth::relay {

class RelayMetrics;

struct SchedulerServices {
  const RelayConfig* config = nullptr;
  std::shared_ptr<const oauth2::AccountsConfig> accounts;
  queue::Spool* spool = nullptr;
  oauth2::TokenSource* tokens = nullptr;
  core::Logger* logger = nullptr;
  boost::asio::thread_pool* pool = nullptr;  // spool reads, state writes, removals
  RelayMetrics* metrics = nullptr;  // optional: delivered/deferred/failed, sessions, upstream times
};

class Scheduler {
 public:
  // Resolves every route against the accounts (a route whose account or
  // server cannot be resolved is logged at start and its mail deferred).
  Scheduler(boost::asio::any_io_executor executor, SchedulerServices services);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The rest is called on the executor's thread.
  // The messages recovery found (held ones are left alone).
  void start(const std::vector<queue::SpooledMessage>& recovered);
  // A message the listener just committed to queue/.
  void queued(const std::string& id, const std::string& route);
  // SIGHUP: the routes of `config` (the rest of it is not used) with these
  // accounts and token source from now on, for every new attempt. A session
  // carrying a message finishes it with the settings it had; idle sessions
  // QUIT; waiting messages, the rate window and a cool-down stay with the
  // route of the same name. Mail of a route that is gone stays in the queue
  // until a route of that name is configured again.
  void reload(std::shared_ptr<const RelayConfig> config,
              std::shared_ptr<const oauth2::AccountsConfig> accounts, oauth2::TokenSource* tokens);
  // No new attempts; sessions finish the message they carry, then QUIT.
  void stop();
  // Upstream sessions open now.
  std::size_t sessions() const;
  // Messages the scheduler has to deliver: ready, waiting for their next
  // attempt, being delivered, or waiting for their route (held ones are not counted).
  std::size_t queue_size() const;

  // --- The queue tool's commands (mailoauth queue, via relay/control_listener) ---
  // retry ID|all|route and flush: the messages waiting for their next attempt
  // go to their route's ready list now, and the route's pause (cool-down) ends.
  // hold, release, delete: the spool change (queue/spool_commands) on the pool,
  // while the message is marked busy so no worker starts it. A message being
  // delivered right now is never touched: hold and delete answer queue.busy
  // (Temporary: try again when the attempt ends), retry says it is under way.
  boost::asio::awaitable<core::Result<queue::ControlOutcome>> control(
      queue::ControlRequest request);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mailoauth::relay
