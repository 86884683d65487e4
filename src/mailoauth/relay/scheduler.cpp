// The scheduler's routes, sessions and timers; see scheduler.hpp.
#include "mailoauth/relay/scheduler.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "mailoauth/queue/spool_commands.hpp"
#include "mailoauth/relay/auto_route.hpp"
#include "mailoauth/relay/bounce_generator.hpp"
#include "mailoauth/relay/delivery_attempt.hpp"
#include "mailoauth/relay/delivery_log.hpp"
#include "mailoauth/relay/graph_delivery.hpp"
#include "mailoauth/relay/on_pool.hpp"
#include "mailoauth/relay/relay_metrics.hpp"
#include "mailoauth/relay/spool_message_reader.hpp"
#include "mailoauth/relay/transport_fallback.hpp"

namespace mailoauth::relay {

namespace asio = boost::asio;

namespace {

using Steady = std::chrono::steady_clock;
using queue::RecipientStatus;

// An idle session waits this long for another message of its route before QUIT.
constexpr std::chrono::seconds kLinger{5};
// Another session is opened only when more than this many messages wait per open one.
constexpr std::size_t kMessagesPerSession = 2;
// pipeline_messages: at most this many messages in one batch (each holds an
// open spool file and a read buffer while the batch is on the wire).
constexpr std::size_t kMaxBatch = 10;

// A worker waiting for a message (lingering with its session open).
struct Idle {
  asio::steady_timer* timer = nullptr;
  std::optional<std::string> handed;
};

struct RouteQueue {
  UpstreamRoute upstream;
  std::optional<GraphRoute> graph;           // transport = "graph": through GraphDelivery
  std::optional<GraphRoute> fallback_graph;  // transport = "auto": Graph after SMTP AUTH is refused
  std::deque<std::string> ready;
  std::size_t sessions = 0;
  std::vector<Idle*> idle;
  RateWindow rate;  // messages_per_minute
  Steady::time_point cool_until{};
  bool wake_pending = false;
  // SIGHUP: a reload replaced this queue; its sessions finish what they carry.
  bool retired = false;
  std::shared_ptr<const RelayConfig> config_owner;  // upstream.config's (empty: the first config)
};

struct Loaded {
  queue::SpooledMessage message;
  queue::ContentReader content;
};

// A delivery's MAIL FROM and content after the route's sender rewrite.
struct DeliveryContent {
  std::string envelope_from;
  smtp::MessageSource source;
};

// The ids a delivery works on, in the scheduler's `busy` set while it does
// (the queue tool's hold and delete refuse them; deliver() skips them).
struct BusyMarks {
  std::set<std::string>* busy;
  std::vector<std::string> ids;
  bool mark(const std::string& id) {
    if (!busy->insert(id).second) return false;
    ids.push_back(id);
    return true;
  }
  ~BusyMarks() {
    for (const std::string& id : ids) busy->erase(id);
  }
};

// What one attempt did, for the log line and the worker.
struct AttemptLog {
  std::string reply;
  std::string upstream_id;
  bool throttled = false;
  bool session_usable = true;
  bool connect_failed = false;
  // The route pauses at least this long (Graph's Retry-After), and the message with it.
  std::chrono::seconds pause{0};
  const GraphRoute* via_graph = nullptr;  // sent (or tried) through Graph
  // For the log line (delivery_log.hpp): when the attempt began, where the
  // time went, and the upstream as host[ip]:port ("none": not connected).
  queue::WallTime started{};
  AttemptTimings timings;
  std::string relay = "none";
};

bool any_throttling(const smtp::SendReport& report) {
  if (is_throttling(report.mail_reply)) return true;
  for (const smtp::RecipientResult& recipient : report.recipients) {
    if (is_throttling(recipient.reply)) return true;
  }
  return (report.data_reply && is_throttling(*report.data_reply)) ||
         (report.data_start_reply && is_throttling(*report.data_start_reply));
}

// The envelope sent upstream: the pending recipients of the spooled one.
smtp::Envelope outgoing_envelope(const queue::SpooledEnvelope& envelope,
                                 const std::vector<std::size_t>& pending) {
  smtp::Envelope outgoing;
  outgoing.from = envelope.from;
  for (const std::size_t index : pending) outgoing.recipients.push_back(envelope.recipients[index]);
  outgoing.needs_8bitmime = envelope.body != queue::Body::SevenBit;
  outgoing.needs_smtputf8 = envelope.smtputf8;
  return outgoing;
}

// What the upstream said about one message, into its state and the log's record.
AttemptLog record_sent(core::Result<smtp::SendReport>& sent, bool session_usable,
                       queue::DeliveryState& state, const std::vector<std::size_t>& pending) {
  AttemptLog result;
  result.session_usable = session_usable;
  if (!sent) {
    const bool permanent =
        session_usable && sent.error().error_class() == core::ErrorClass::Permanent;
    result.reply = sent.error().describe();
    record_failure(state, pending, result.reply, permanent);
    return result;
  }
  record_report(state, pending, *sent);
  result.reply = deciding_reply(*sent);
  result.upstream_id = sent->queue_id;
  result.throttled = any_throttling(*sent);
  return result;
}

// The metrics of a message that settle() just made durable.
void count_settled(RelayMetrics& metrics, const std::string& route,
                   const queue::DeliveryState& state) {
  if (!state.finished()) {
    metrics.deferred(route);
  } else if (state.any_failed()) {
    metrics.failed(route);
  } else {
    metrics.delivered(route);
  }
}

void observe(RelayMetrics* metrics, const UpstreamRoute& upstream, UpstreamStage stage,
             Steady::duration took) {
  if (metrics) metrics->upstream_duration(upstream.config->name, stage, took);
}

}  // namespace

struct Scheduler::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  SchedulerServices services;
  std::map<std::string, RouteQueue> routes;  // by name; addresses stay put
  bool stopping = false;
  std::size_t open_sessions = 0;
  std::vector<asio::steady_timer*> worker_timers;  // cancelled by stop()
  std::unique_ptr<GraphDelivery> graph;            // when some route has transport = "graph"
  // SIGHUP: replaced queues whose sessions still finish a message (their
  // addresses stay put: map nodes), and messages whose route is gone, by route name.
  std::vector<std::map<std::string, RouteQueue>::node_type> retired;
  std::map<std::string, std::vector<std::string>> orphans;
  // transport = "auto": each route's transport now, by route name, so a
  // reload keeps it (relay/transport_fallback).
  std::map<std::string, FallbackState> fallbacks;
  const core::Clock* clock = &core::system_clock();

  Impl(asio::any_io_executor executor_in, SchedulerServices services_in)
      : executor(std::move(executor_in)), services(std::move(services_in)) {}

  void enqueue(const std::string& id, const std::string& route_name);
  RouteQueue make_queue(const RouteConfig& route, const std::string& hostname);
  void start_graph(const RelayConfig& config);
  std::size_t retired_sessions(const std::string& route_name) const;
  void reload(std::shared_ptr<const RelayConfig> config);
  void pump(RouteQueue& route);
  void wake_at(RouteQueue& route, Steady::time_point when);
  void later(std::string id, std::string route_name, queue::WallTime when);
  asio::awaitable<void> worker(RouteQueue* route, std::string first);
  asio::awaitable<AttemptLog> deliver(RouteQueue* route, std::unique_ptr<smtp::Session>* session,
                                      std::string id);
  asio::awaitable<AttemptLog> deliver_batch(RouteQueue* route,
                                            std::unique_ptr<smtp::Session>* session,
                                            std::vector<std::string> ids);
  asio::awaitable<std::optional<Loaded>> load(const std::string* id);
  asio::awaitable<void> conclude(RouteQueue* route, const std::string* id, Loaded* loaded,
                                 const std::vector<std::size_t>* pending, const AttemptLog* result);
  asio::awaitable<AttemptLog> attempt(RouteQueue* route, std::unique_ptr<smtp::Session>* session,
                                      Loaded* loaded, const std::vector<std::size_t>* pending);
  asio::awaitable<AttemptLog> attempt_graph(const GraphRoute* graph_route, Loaded* loaded,
                                            const std::vector<std::size_t>* pending,
                                            queue::ContentReader* content = nullptr);
  bool auto_on_graph(const RouteQueue& route);
  bool auto_switches(const RouteQueue& route, const core::Error& refusal, const std::string& id);
  asio::awaitable<core::Result<DeliveryContent>> delivery_content(const UpstreamRoute* upstream,
                                                                  Loaded* loaded);
  asio::awaitable<bool> settle(RouteQueue* route, const std::string* id,
                               const queue::DeliveryState* state);
  void log_attempt(const RouteQueue& route, const std::string& id, const Loaded& loaded,
                   const std::vector<std::size_t>& tried, const AttemptLog& result);

  // --- control (the queue tool); defined in the section at the end ---
  // Messages a worker is delivering, or a control command is changing: no
  // one else may start on them (deliver() skips a busy id).
  std::set<std::string> busy;
  // Messages waiting for their next attempt (later()); a timer whose ticket
  // no longer matches was overtaken by a control command and does nothing.
  struct Armed {
    std::uint64_t ticket = 0;
    std::string route;
    queue::WallTime when;
  };
  std::map<std::string, Armed> armed;
  std::uint64_t last_ticket = 0;
  struct Withdrawn {
    bool scheduled = false;
    std::string route;
    std::optional<queue::WallTime> when;  // nullopt: it was ready
  };
  Withdrawn withdraw(const std::string& id);
  void restore(const std::string& id, const Withdrawn& withdrawn);
  std::size_t retry_armed(const std::string* route_only);
  asio::awaitable<core::Result<queue::ControlOutcome>> control(queue::ControlRequest request);
  asio::awaitable<core::Result<queue::ControlOutcome>> retry_one(std::string id);
  asio::awaitable<core::Result<queue::ControlOutcome>> change_one(queue::ControlRequest request);
};

void Scheduler::Impl::enqueue(const std::string& id, const std::string& route_name) {
  auto found = routes.find(route_name);
  if (found == routes.end()) {
    services.logger->error(
        "no such route any more: the message stays in the queue until a route of that name "
        "is configured again",
        {{"queue_id", id}, {"route", route_name}});
    orphans[route_name].push_back(id);
    return;
  }
  found->second.ready.push_back(id);
  pump(found->second);
}

void Scheduler::Impl::pump(RouteQueue& route) {
  if (stopping) return;
  if (route.retired) {  // reloaded: its messages go to the route of that name now
    const std::string name = route.upstream.config->name;
    std::deque<std::string> waiting = std::move(route.ready);
    route.ready.clear();
    for (const std::string& id : waiting) enqueue(id, name);
    if (auto live = routes.find(name); live != routes.end()) pump(live->second);
    return;
  }
  while (!route.ready.empty() && !route.idle.empty()) {  // lingering sessions first
    Idle* idle = route.idle.back();
    route.idle.pop_back();
    idle->handed = std::move(route.ready.front());
    route.ready.pop_front();
    idle->timer->cancel();
  }
  if (route.ready.empty()) return;
  if (Steady::now() < route.cool_until) {
    wake_at(route, route.cool_until);
    return;
  }
  const std::size_t limit = route.upstream.config->connections;
  // A Graph request carries one message (nothing to share): one per waiting message.
  // After a reload the replaced queue's sessions still count: same mailbox.
  const std::size_t finishing = retired_sessions(route.upstream.config->name);
  while (!route.ready.empty() && route.sessions + finishing < limit &&
         (route.sessions == 0 || route.graph ||
          route.ready.size() > route.sessions * kMessagesPerSession)) {
    std::string first = std::move(route.ready.front());
    route.ready.pop_front();
    ++route.sessions;
    ++open_sessions;
    if (services.metrics) services.metrics->upstream_session_opened(route.upstream.config->name);
    asio::co_spawn(executor, worker(&route, std::move(first)), asio::detached);
  }
}

void Scheduler::Impl::wake_at(RouteQueue& route, Steady::time_point when) {
  if (route.wake_pending) return;
  route.wake_pending = true;
  auto timer = std::make_shared<asio::steady_timer>(executor, when);
  timer->async_wait([self = shared_from_this(), route = &route, timer](boost::system::error_code) {
    route->wake_pending = false;
    self->pump(*route);
  });
}

void Scheduler::Impl::later(std::string id, std::string route_name, queue::WallTime when) {
  const auto delay = when - std::chrono::system_clock::now();
  auto timer = std::make_shared<asio::steady_timer>(executor);
  timer->expires_after(std::chrono::duration_cast<Steady::duration>(
      std::max(delay, std::chrono::system_clock::duration::zero())));
  const std::uint64_t ticket = ++last_ticket;  // control: see `armed`
  armed[id] = Armed{ticket, route_name, when};
  timer->async_wait([self = shared_from_this(), id = std::move(id),
                     route_name = std::move(route_name), timer, ticket](boost::system::error_code) {
    const auto found = self->armed.find(id);
    if (found == self->armed.end() || found->second.ticket != ticket) return;  // overtaken
    self->armed.erase(found);
    if (!self->stopping) self->enqueue(id, route_name);
  });
}

// One upstream session of a route: message after message, lingering for more.
asio::awaitable<void> Scheduler::Impl::worker(RouteQueue* route, std::string first) {
  auto self = shared_from_this();
  std::unique_ptr<smtp::Session> session;
  std::optional<std::string> next = std::move(first);
  asio::steady_timer timer(executor);
  worker_timers.push_back(&timer);
  boost::system::error_code ignored;
  while (next && !stopping) {
    for (auto wait = route->rate.wait(Steady::now()); wait > Steady::duration::zero() && !stopping;
         wait = route->rate.wait(Steady::now())) {
      timer.expires_after(wait);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (stopping) break;
    std::vector<Steady::time_point> starts{Steady::now()};
    route->rate.started(starts.back());
    std::vector<std::string> batch;
    batch.push_back(std::move(*next));
    next.reset();
    // pipeline_messages: the ready messages the rate allows now ride along on
    // the open session (a fresh session carries one first: it is opened by it).
    if (route->upstream.config->pipeline_messages && session && !session->broken()) {
      while (batch.size() < kMaxBatch && !route->ready.empty() &&
             route->rate.wait(Steady::now()) == Steady::duration::zero()) {
        starts.push_back(Steady::now());
        route->rate.started(starts.back());
        batch.push_back(std::move(route->ready.front()));
        route->ready.pop_front();
      }
    }
    AttemptLog result;
    if (batch.size() == 1) {
      result = co_await deliver(route, &session, std::move(batch.front()));
    } else {
      result = co_await deliver_batch(route, &session, std::move(batch));
    }
    // Each start counted again from the end, as the upstream saw it (delivery_attempt.hpp).
    for (const Steady::time_point started : starts) route->rate.finished(started, Steady::now());
    if (!result.session_usable && session) {
      co_await session->quit();
      session.reset();
    }
    // Throttled, or the upstream is down: the route waits first_retry (1 min
    // by default) instead of hammering; its ready messages stay queued.
    if (result.throttled || result.connect_failed) {
      route->cool_until =
          Steady::now() + std::max(services.config->limits.first_retry, result.pause);
    }
    if (Steady::now() < route->cool_until || stopping) break;
    if (!route->ready.empty()) {
      next = std::move(route->ready.front());
      route->ready.pop_front();
      continue;
    }
    if (!session || route->retired) break;
    Idle idle{&timer, {}};
    route->idle.push_back(&idle);
    timer.expires_after(kLinger);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    std::erase(route->idle, &idle);
    next = std::move(idle.handed);
  }
  std::erase(worker_timers, &timer);
  if (session) co_await session->quit();
  --route->sessions;
  --open_sessions;
  if (services.metrics) services.metrics->upstream_session_closed(route->upstream.config->name);
  if (next) route->ready.push_front(std::move(*next));
  pump(*route);
}

// The envelope, state and content of a queued message (on the pool); nullopt:
// removed meanwhile, or unreadable (logged; recovery deals with it at the next start).
asio::awaitable<std::optional<Loaded>> Scheduler::Impl::load(const std::string* id) {
  queue::Spool* spool = services.spool;
  auto loaded = co_await on_pool(*services.pool, [spool, id]() -> core::Result<Loaded> {
    auto message = spool->read(queue::Place::Queue, *id);
    if (!message) return core::fail(std::move(message.error()));
    auto content = spool->open_content(queue::Place::Queue, *id);
    if (!content) return core::fail(std::move(content.error()));
    return Loaded{std::move(*message), std::move(*content)};
  });
  std::optional<Loaded> found;
  if (!loaded) {
    services.logger->error("cannot read a queued message",
                           {{"queue_id", *id}, {"error", loaded.error().describe()}});
  } else {
    found.emplace(std::move(*loaded));
  }
  co_return found;
}

// After an attempt (none when nothing was pending): the next try, the state
// made durable before anything is done about it, the log line.
asio::awaitable<void> Scheduler::Impl::conclude(RouteQueue* route, const std::string* id,
                                                Loaded* loaded,
                                                const std::vector<std::size_t>* pending,
                                                const AttemptLog* result) {
  std::optional<std::string> bounce;
  if (!pending->empty()) {
    std::optional<queue::WallTime> not_before;
    if (result->throttled) {
      not_before = std::chrono::system_clock::now() +
                   std::max(services.config->limits.first_retry, result->pause);
    }
    const queue::WallTime now = std::chrono::system_clock::now();
    finish_attempt(loaded->message.state, now, loaded->message.envelope.received,
                   services.config->limits, not_before);
    // The attempt history `mailoauth queue show` lists (bounded; durable with the state).
    for (DeliveryLogGroup& group : delivery_log_groups(
             loaded->message.state, loaded->message.envelope.recipients, *pending, result->reply)) {
      loaded->message.state.add_attempt({now, std::move(group.status), result->relay,
                                         std::move(group.to), std::move(group.reply)});
    }
    // A failure or a delay the sender should hear of: spooled before the state (bounce_generator).
    const BounceRoute notified = bounce_route(
        route->upstream.config, route->graph ? route->graph->mailbox : route->upstream.user,
        route->graph ? route->graph->base_url : route->upstream.settings.host, !!route->graph);
    bounce =
        co_await notify_sender({services.config, services.spool, services.pool, services.logger},
                               &notified, &loaded->message, pending);
  }
  co_await settle(route, id, &loaded->message.state);
  if (!pending->empty()) log_attempt(*route, *id, *loaded, *pending, *result);
  if (bounce) {
    if (services.metrics) services.metrics->bounced(route->upstream.config->name);
    enqueue(*bounce, route->upstream.config->name);
  }
}

asio::awaitable<AttemptLog> Scheduler::Impl::deliver(RouteQueue* route,
                                                     std::unique_ptr<smtp::Session>* session,
                                                     std::string id) {
  // control: a message held, deleted or delivered meanwhile is not started.
  BusyMarks marks{&busy, {}};
  if (!marks.mark(id)) co_return AttemptLog{};
  const queue::WallTime started = std::chrono::system_clock::now();
  std::optional<Loaded> loaded = co_await load(&id);
  AttemptLog result;
  if (!loaded || loaded->message.state.hold) co_return result;
  const std::vector<std::size_t> pending = pending_recipients(loaded->message.state);
  if (!pending.empty()) result = co_await attempt(route, session, &*loaded, &pending);
  result.started = started;
  co_await conclude(route, &id, &*loaded, &pending, &result);
  co_return result;
}

// Several messages on the open, authenticated session as one
// smtp::Session::send_batch (pipeline_messages): each one's MAIL and RCPTs
// ride in the write that ends the previous one's content (RFC 2920 3.1). The
// reports come back per message; each message's state is then recorded and
// made durable before it is removed, failed or rescheduled, in order, as
// deliver() does for one. Contents stream from their spool files.
asio::awaitable<AttemptLog> Scheduler::Impl::deliver_batch(RouteQueue* route,
                                                           std::unique_ptr<smtp::Session>* session,
                                                           std::vector<std::string> ids) {
  struct Item {
    std::string id;
    Loaded loaded;
    std::vector<std::size_t> pending;
    std::optional<AttemptLog> unreadable;  // its content could not be prepared
  };
  std::vector<Item> items;
  std::vector<smtp::Transaction> transactions;
  BusyMarks marks{&busy, {}};
  const queue::WallTime started = std::chrono::system_clock::now();
  for (std::string& id : ids) {
    if (!marks.mark(id)) continue;  // control: held, deleted or delivered meanwhile
    std::optional<Loaded> loaded = co_await load(&id);
    if (!loaded || loaded->message.state.hold) continue;
    Item& item = items.emplace_back(Item{std::move(id), std::move(*loaded), {}, std::nullopt});
    item.pending = pending_recipients(item.loaded.message.state);
    if (item.pending.empty()) continue;
    auto content = co_await delivery_content(&route->upstream, &item.loaded);
    if (!content) {
      AttemptLog& failed = item.unreadable.emplace();
      failed.reply = content.error().describe();
      record_failure(item.loaded.message.state, item.pending, failed.reply, false);
      continue;
    }
    smtp::Envelope outgoing = outgoing_envelope(item.loaded.message.envelope, item.pending);
    outgoing.from = std::move(content->envelope_from);
    transactions.push_back(smtp::Transaction{std::move(outgoing), std::move(content->source)});
  }
  std::vector<core::Result<smtp::SendReport>> reports;
  const auto transfer_began = Steady::now();
  if (!transactions.empty()) reports = co_await (*session)->send_batch(std::move(transactions));
  if (!transactions.empty()) {
    observe(services.metrics, route->upstream, UpstreamStage::Transfer,
            Steady::now() - transfer_began);
  }
  AttemptLog batch;
  batch.session_usable = !(*session)->broken();
  batch.timings.transfer = Steady::now() - transfer_began;
  batch.relay = format_relay(route->upstream.settings.host, (*session)->peer());
  std::size_t next_report = 0;
  for (Item& item : items) {
    AttemptLog result;
    if (item.unreadable) {
      result = *item.unreadable;
    } else if (!item.pending.empty()) {
      core::Result<smtp::SendReport> sent =
          next_report < reports.size()
              ? std::move(reports[next_report])
              : core::fail(core::ErrorClass::Temporary, "smtp.session_broken", "not sent");
      ++next_report;
      result = record_sent(sent, batch.session_usable, item.loaded.message.state, item.pending);
      result.timings = batch.timings;
      result.relay = batch.relay;
      batch.throttled = batch.throttled || result.throttled;
    }
    result.started = started;
    co_await conclude(route, &item.id, &item.loaded, &item.pending, &result);
  }
  services.logger->debug("pipelined batch", {{"route", route->upstream.config->name},
                                             {"messages", static_cast<std::int64_t>(next_report)},
                                             {"session_usable", batch.session_usable}});
  co_return batch;
}

// Talks to the upstream for the pending recipients and records the outcome in the state.
asio::awaitable<AttemptLog> Scheduler::Impl::attempt(RouteQueue* route,
                                                     std::unique_ptr<smtp::Session>* session,
                                                     Loaded* loaded,
                                                     const std::vector<std::size_t>* pending) {
  AttemptLog result;
  AttemptTimings timings;  // connect and auth stay zero on a session already open
  queue::DeliveryState& state = loaded->message.state;
  const UpstreamRoute& upstream = route->upstream;
  if (upstream.fault) {
    result.reply = "configuration: " + upstream.fault->describe();
    record_failure(state, *pending, result.reply, false);
    co_return result;
  }
  if (route->graph || (route->fallback_graph && auto_on_graph(*route))) {
    result = co_await attempt_graph(route->graph ? &*route->graph : &*route->fallback_graph, loaded,
                                    pending);
    co_return result;
  }
  // The content (rewritten as the route says, read on the pool) before any
  // connection: a message that cannot be read costs the upstream nothing.
  auto content = co_await delivery_content(&upstream, loaded);
  if (!content) {
    result.reply = content.error().describe();
    record_failure(state, *pending, result.reply, false);
    co_return result;
  }
  if (!*session || (*session)->broken()) {
    bool token_fault = false;
    bool renewed = false;
    std::string reached;  // the upstream's ip:port once connected (AUTH may still fail)
    auto opened = co_await open_upstream(&upstream, services.tokens, &token_fault, &renewed,
                                         &timings, &reached);
    if (opened) {  // timed only when both steps succeeded
      observe(services.metrics, upstream, UpstreamStage::Connect, timings.connect);
      observe(services.metrics, upstream, UpstreamStage::Auth, timings.auth);
    }
    if (renewed) {
      services.logger->info("the upstream refused the token; renewed once",
                            {{"queue_id", loaded->message.envelope.id},
                             {"route", upstream.config->name},
                             {"account", upstream.account->name},
                             {"renewed_token_accepted", static_cast<bool>(opened)}});
    }
    if (!opened && route->fallback_graph &&
        auto_switches(*route, opened.error(), loaded->message.envelope.id)) {
      // The SMTP leg's message source took the content reader: Graph reads the spool afresh.
      queue::Spool* spool = services.spool;
      const std::string* id = &loaded->message.envelope.id;
      auto reopened = co_await on_pool(
          *services.pool, [spool, id] { return spool->open_content(queue::Place::Queue, *id); });
      if (reopened) {
        result = co_await attempt_graph(&*route->fallback_graph, loaded, pending, &*reopened);
      } else {
        result.reply = "reading the spooled content for Graph: " + reopened.error().describe();
        record_failure(state, *pending, result.reply, false);
      }
      co_return result;
    }
    if (!opened) {
      result.reply = (token_fault ? "configuration (account): " : "") + opened.error().describe();
      result.session_usable = false;
      result.connect_failed = !token_fault;
      result.timings = timings;
      if (!reached.empty()) result.relay = format_relay(upstream.settings.host, reached);
      record_failure(state, *pending, result.reply, false);
      co_return result;
    }
    *session = std::move(*opened);
    if (route->fallback_graph && smtp_worked(fallbacks[upstream.config->name])) {
      services.logger->info("SMTP works again: the route is back on SMTP",
                            {{"route", upstream.config->name}, {"transport", "smtp"}});
    }
    // The next session of this account should not wait for a renewal:
    // renew in the background when the token has less than 10 minutes left.
    services.tokens->prefetch(upstream.account, std::chrono::minutes(10));
  }
  smtp::Envelope outgoing = outgoing_envelope(loaded->message.envelope, *pending);
  outgoing.from = std::move(content->envelope_from);
  const auto transfer_began = Steady::now();
  auto sent = co_await (*session)->send(std::move(outgoing), std::move(content->source));
  timings.transfer = Steady::now() - transfer_began;
  observe(services.metrics, upstream, UpstreamStage::Transfer, timings.transfer);
  result = record_sent(sent, !(*session)->broken(), state, *pending);
  result.timings = timings;
  result.relay = format_relay(upstream.settings.host, (*session)->peer());
  co_return result;
}

// A Graph route's attempt: one sendMail for every pending recipient (Graph
// is all-or-nothing per request); the verdict's rules in graph_delivery.hpp.
// `content`: another reader of the message than loaded's (an auto route's
// SMTP leg already handed loaded's to its message source).
asio::awaitable<AttemptLog> Scheduler::Impl::attempt_graph(const GraphRoute* graph_route,
                                                           Loaded* loaded,
                                                           const std::vector<std::size_t>* pending,
                                                           queue::ContentReader* content) {
  AttemptLog result;
  result.via_graph = graph_route;
  std::vector<std::string> recipients;
  for (const std::size_t index : *pending)
    recipients.push_back(loaded->message.envelope.recipients[index]);
  const auto began = Steady::now();
  const GraphVerdict verdict =
      co_await graph->deliver(graph_route, content != nullptr ? content : &loaded->content,
                              &recipients, loaded->message.envelope.id);
  // delays=: no connection of its own (HTTPS is pooled), the token, then the requests.
  result.timings.auth = verdict.token_wait;
  result.timings.transfer = Steady::now() - began - verdict.token_wait;
  result.relay = graph_route->base_url;
  if (services.metrics) {
    services.metrics->upstream_duration(graph_route->config->name, UpstreamStage::Auth,
                                        result.timings.auth);
    services.metrics->upstream_duration(graph_route->config->name, UpstreamStage::Transfer,
                                        result.timings.transfer);
  }
  record_graph_verdict(loaded->message.state, *pending, verdict);
  result.reply = verdict.reason;
  result.upstream_id = verdict.request_id;
  result.throttled = verdict.outcome == GraphOutcome::Throttled;
  result.connect_failed = verdict.outcome == GraphOutcome::Unreachable;
  if (verdict.pause) result.pause = *verdict.pause;
  co_return result;
}

// transport = "auto", before an attempt: on Graph while graph_fallback_time
// runs (transport_fallback); once it is over, SMTP again, said in the log.
bool Scheduler::Impl::auto_on_graph(const RouteQueue& route) {
  const RouteConfig& config = *route.upstream.config;
  FallbackState& state = fallbacks[config.name];
  bool window_over = false;
  const ActiveTransport now =
      transport_for_attempt(state, *clock, config.graph_fallback_time, &window_over);
  if (window_over) {
    services.logger->info("graph_fallback_time is over: trying SMTP again",
                          {{"route", config.name},
                           {"on_graph_since", core::format_rfc3339_utc(state.since_wall, false)},
                           {"graph_fallback_time", config.graph_fallback_time.count()}});
  }
  return now == ActiveTransport::Graph;
}

// transport = "auto", after connecting and logging in to SMTP failed: true
// when the refusal means SMTP AUTH is off, and the route is (now) on Graph.
// One warn line per switch, with the upstream's reply.
bool Scheduler::Impl::auto_switches(const RouteQueue& route, const core::Error& refusal,
                                    const std::string& id) {
  if (!switches_to_graph(refusal)) return false;
  const RouteConfig& config = *route.upstream.config;
  if (switch_to_graph(fallbacks[config.name], *clock, refusal.message())) {
    services.logger->warn(
        "SMTP AUTH is refused as switched off: the route delivers with Microsoft Graph sendMail "
        "for graph_fallback_time",
        {{"queue_id", id},
         {"route", config.name},
         {"upstream",
          fmt::format("{}:{}", route.upstream.settings.host, route.upstream.settings.port)},
         {"reply", refusal.message()},
         {"code", refusal.code()},
         {"graph", route.fallback_graph->base_url},
         {"graph_fallback_time", config.graph_fallback_time.count()}});
  }
  return true;
}

// The envelope sender and the content as the route sends them: its sender
// rewrite applied (relay/sender_rewrite; an address that cannot be written is
// the configuration's fault, deferred), the spool read on the pool.
asio::awaitable<core::Result<DeliveryContent>> Scheduler::Impl::delivery_content(
    const UpstreamRoute* upstream, Loaded* loaded) {
  const SenderRewriteConfig& rewrite = upstream->config->rewrite;
  auto envelope_from =
      upstream_envelope_from(*upstream->config, upstream->user, loaded->message.envelope);
  if (!envelope_from) {
    co_return core::fail(std::move(envelope_from.error().context("configuration")));
  }
  auto header = header_rewrite_for(rewrite, upstream->user);
  if (!header) co_return core::fail(std::move(header.error().context("configuration")));
  auto content = co_await prepare_delivery_source(&loaded->content, &*header, services.pool);
  if (!content) co_return core::fail(std::move(content.error()));
  if (!content->rewrite.skipped.empty()) {
    services.logger->warn("the sender was not rewritten: delivered as it is",
                          {{"queue_id", loaded->message.envelope.id},
                           {"route", upstream->config->name},
                           {"reason", content->rewrite.skipped}});
  }
  DeliveryContent prepared{std::move(*envelope_from), std::move(content->source)};
  co_return prepared;
}

// Removes the message durably (all sent), or writes the state durably, then
// moves it to failed/ (some failed) or arms its next attempt. False: that
// could not be done (the message stays as it was and is tried again at the
// next start).
asio::awaitable<bool> Scheduler::Impl::settle(RouteQueue* route, const std::string* id,
                                              const queue::DeliveryState* state) {
  queue::Spool* spool = services.spool;
  auto written = co_await on_pool(*services.pool, [spool, id, state]() {
    // All sent: the durable removal records it (one fsync, not a state file's two).
    if (state->finished() && !state->any_failed()) return spool->remove(queue::Place::Queue, *id);
    core::Result<void> done = spool->write_state(queue::Place::Queue, *id, *state);
    if (!done || !state->finished()) return done;
    return spool->move(*id, queue::Place::Queue, queue::Place::Failed);
  });
  if (!written) {
    services.logger->error("the delivery state could not be written; tried again after a restart",
                           {{"queue_id", *id}, {"error", written.error().describe()}});
    co_return false;
  }
  if (!state->finished() && state->next_attempt) {
    later(*id, route->upstream.config->name, *state->next_attempt);
  }
  if (services.metrics) count_settled(*services.metrics, route->upstream.config->name, *state);
  co_return true;
}

void Scheduler::Impl::log_attempt(const RouteQueue& route, const std::string& id,
                                  const Loaded& loaded, const std::vector<std::size_t>& tried,
                                  const AttemptLog& result) {
  const queue::DeliveryState& state = loaded.message.state;
  const auto now = std::chrono::system_clock::now();
  const queue::WallTime received = loaded.message.envelope.received;
  const queue::WallTime started = result.started == queue::WallTime{} ? now : result.started;
  // The transport this attempt used (an auto route's SMTP or Graph leg).
  const bool via_graph = result.via_graph != nullptr || route.graph.has_value();
  const std::string_view transport = via_graph ? "graph" : "smtp";
  // Postfix's line, one per group of recipients that came out alike
  // (delivery_log.hpp): sent at info level, anything else at warn.
  for (const DeliveryLogGroup& group :
       delivery_log_groups(state, loaded.message.envelope.recipients, tried, result.reply)) {
    services.logger->log(group.status == "sent" ? core::LogLevel::Info : core::LogLevel::Warn,
                         "delivery",
                         {{"queue_id", id},
                          {"route", route.upstream.config->name},
                          {"to", group.to},
                          {"relay", result.relay},
                          {"transport", transport},
                          {"delay", format_delay(now - received)},
                          {"delays", format_delays(started - received, result.timings)},
                          {"attempt", state.attempts},
                          {"dsn", group.dsn},
                          {"reply", group.reply},
                          {"upstream_id", result.upstream_id},
                          {"status", group.status}});
  }
}

// The Graph pool, once some route has transport = "graph" (at start, or at
// the first reload that adds one): a thread per concurrent Graph request,
// libcurl blocks. Its size stays as first made (GraphDelivery caps it).
void Scheduler::Impl::start_graph(const RelayConfig& config) {
  if (graph) return;
  std::size_t requests = 0;
  for (const RouteConfig& route : config.routes) {
    if (route.transport != delivery::Transport::Smtp) requests += route.connections;  // graph, auto
  }
  if (requests > 0)
    graph = std::make_unique<GraphDelivery>(requests, services.tokens, services.logger);
}

RouteQueue Scheduler::Impl::make_queue(const RouteConfig& route, const std::string& hostname) {
  RouteQueue queue;
  if (route.transport == delivery::Transport::Graph) {
    queue.graph = resolve_graph_route(route, services.accounts);
    queue.upstream.config = &route;
    queue.upstream.account = queue.graph->account;
    queue.upstream.fault = queue.graph->fault;
  } else {
    queue.upstream = resolve_upstream(route, services.accounts, hostname);
  }
  if (route.transport == delivery::Transport::Auto) {  // a fallback that cannot work is a fault
    queue.fallback_graph = resolve_graph_route(route, services.accounts);
    if (auto usable = check_auto_route(*queue.fallback_graph); !usable && !queue.upstream.fault)
      queue.upstream.fault = std::move(usable.error());
  }
  queue.rate = RateWindow(route.messages_per_minute);
  if (queue.upstream.fault) {
    services.logger->error("route cannot deliver: its mail is deferred until the config is fixed",
                           {{"route", route.name}, {"error", queue.upstream.fault->describe()}});
  }
  return queue;
}

std::size_t Scheduler::Impl::retired_sessions(const std::string& route_name) const {
  std::size_t count = 0;
  for (const auto& node : retired) {
    if (node.key() == route_name) count += node.mapped().sessions;
  }
  return count;
}

// Every queue is replaced by one resolved from the new routes and accounts:
// waiting messages, the rate window and a cool-down carry over to the route
// of the same name; sessions carrying a message finish it with the old
// settings (the queue is retired, not freed), idle ones close.
void Scheduler::Impl::reload(std::shared_ptr<const RelayConfig> config) {
  std::erase_if(retired, [](const auto& node) {
    return node.mapped().sessions == 0 && !node.mapped().wake_pending;
  });
  std::map<std::string, RouteQueue> fresh;
  for (const RouteConfig& route : config->routes) {
    RouteQueue queue = make_queue(route, services.config->hostname);
    queue.config_owner = config;
    if (auto old = routes.find(route.name); old != routes.end()) {
      queue.ready = std::move(old->second.ready);
      old->second.ready.clear();
      queue.cool_until = old->second.cool_until;
      if (old->second.upstream.config->messages_per_minute == route.messages_per_minute) {
        queue.rate = old->second.rate;
      }
    }
    fresh.emplace(route.name, std::move(queue));
  }
  while (!routes.empty()) {
    auto node = routes.extract(routes.begin());
    RouteQueue& old = node.mapped();
    old.retired = true;
    for (std::string& id : old.ready) orphans[node.key()].push_back(std::move(id));
    old.ready.clear();
    for (Idle* idle : old.idle) idle->timer->cancel();  // lingering sessions QUIT now
    if (old.sessions > 0 || old.wake_pending) retired.push_back(std::move(node));
  }
  routes = std::move(fresh);
  std::erase_if(fallbacks, [&](const auto& entry) {
    const auto found = routes.find(entry.first);
    return found == routes.end() || !found->second.fallback_graph;
  });
  for (const auto& [name, state] : fallbacks) {  // what the reload kept, said
    if (state.active != ActiveTransport::Graph) continue;
    services.logger->info("the route stays on Graph until its graph_fallback_time is over",
                          {{"route", name},
                           {"on_graph_since", core::format_rfc3339_utc(state.since_wall, false)},
                           {"reason", state.reason}});
  }
  start_graph(*config);
  for (auto orphan = orphans.begin(); orphan != orphans.end();) {
    if (!routes.contains(orphan->first)) {
      ++orphan;
      continue;
    }
    const std::vector<std::string> ids = std::move(orphan->second);
    const std::string name = orphan->first;
    orphan = orphans.erase(orphan);
    for (const std::string& id : ids) enqueue(id, name);
  }
  for (auto& [name, queue] : routes) pump(queue);
}

Scheduler::Scheduler(asio::any_io_executor executor, SchedulerServices services)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(services))) {
  for (const RouteConfig& route : impl_->services.config->routes) {
    impl_->routes.emplace(route.name, impl_->make_queue(route, impl_->services.config->hostname));
  }
  impl_->start_graph(*impl_->services.config);
}

void Scheduler::reload(std::shared_ptr<const RelayConfig> config,
                       std::shared_ptr<const oauth2::AccountsConfig> accounts,
                       oauth2::TokenSource* tokens) {
  impl_->services.accounts = std::move(accounts);
  impl_->services.tokens = tokens;
  impl_->reload(std::move(config));
}

Scheduler::~Scheduler() {
  impl_->stopping = true;
  // Graph requests still running finish (each within its deadline) while the
  // event loop they report to still exists.
  if (impl_->graph) impl_->graph->join();
}

void Scheduler::start(const std::vector<queue::SpooledMessage>& recovered) {
  const auto now = std::chrono::system_clock::now();
  for (const queue::SpooledMessage& message : recovered) {
    if (message.place != queue::Place::Queue || message.state.hold) continue;
    if (message.state.next_attempt && *message.state.next_attempt > now) {
      impl_->later(message.envelope.id, message.envelope.route, *message.state.next_attempt);
    } else {
      impl_->enqueue(message.envelope.id, message.envelope.route);
    }
  }
}

void Scheduler::queued(const std::string& id, const std::string& route) {
  impl_->enqueue(id, route);
}

void Scheduler::stop() {
  impl_->stopping = true;
  // Lingering sessions and rate waits end now; a delivery in progress finishes.
  for (asio::steady_timer* timer : impl_->worker_timers) timer->cancel();
}

std::size_t Scheduler::sessions() const {
  return impl_->open_sessions;
}

std::size_t Scheduler::queue_size() const {
  std::size_t count = impl_->armed.size() + impl_->busy.size();
  for (const auto& [name, route] : impl_->routes) count += route.ready.size();
  for (const auto& node : impl_->retired) count += node.mapped().ready.size();
  for (const auto& [name, ids] : impl_->orphans) count += ids.size();
  return count;
}

}  // namespace mailoauth::relay

// --- Control: the queue tool's commands (mailoauth queue) ------------------------
// Kept in this section so the delivery code above stays as it was: the only
// hooks there are `busy` (deliver() skips a message someone is working on)
// and `armed` (a later() timer a command overtook does nothing).

namespace mailoauth::relay {

namespace {

core::Error busy_error(const std::string& id) {
  return core::Error(core::ErrorClass::Temporary, "queue.busy",
                     fmt::format("message {} is being delivered right now", id),
                     "try again when this attempt ends (mailoauth queue show ID says how it went)");
}

core::Result<queue::ControlOutcome> outcome(std::size_t count, std::string text) {
  return queue::ControlOutcome{count, std::move(text)};
}

}  // namespace

Scheduler::Impl::Withdrawn Scheduler::Impl::withdraw(const std::string& id) {
  Withdrawn withdrawn;
  if (const auto found = armed.find(id); found != armed.end()) {
    withdrawn = {true, found->second.route, found->second.when};
    armed.erase(found);
    return withdrawn;
  }
  for (auto& [name, route] : routes) {
    if (std::erase(route.ready, id) > 0) withdrawn = {true, name, std::nullopt};
  }
  return withdrawn;
}

void Scheduler::Impl::restore(const std::string& id, const Withdrawn& withdrawn) {
  if (!withdrawn.scheduled) return;
  if (withdrawn.when) {
    later(id, withdrawn.route, *withdrawn.when);
  } else {
    enqueue(id, withdrawn.route);
  }
}

// Every armed message (of one route, or all) is ready now; the pauses end.
std::size_t Scheduler::Impl::retry_armed(const std::string* route_only) {
  std::vector<std::pair<std::string, std::string>> due;
  for (auto found = armed.begin(); found != armed.end();) {
    if (route_only == nullptr || found->second.route == *route_only) {
      due.emplace_back(found->first, found->second.route);
      found = armed.erase(found);
    } else {
      ++found;
    }
  }
  for (auto& [name, route] : routes) {
    if (route_only == nullptr || name == *route_only) route.cool_until = {};
  }
  for (const auto& [id, route] : due) enqueue(id, route);
  for (auto& [name, route] : routes) {
    if (route_only == nullptr || name == *route_only) pump(route);
  }
  return due.size();
}

asio::awaitable<core::Result<queue::ControlOutcome>> Scheduler::Impl::retry_one(std::string id) {
  if (busy.contains(id)) co_return outcome(0, "being delivered right now");
  if (const auto found = armed.find(id); found != armed.end()) {
    const std::string route = found->second.route;
    armed.erase(found);
    if (auto queue = routes.find(route); queue != routes.end()) queue->second.cool_until = {};
    enqueue(id, route);
    co_return outcome(1, "due now");
  }
  for (auto& [name, route] : routes) {
    if (std::find(route.ready.begin(), route.ready.end(), id) != route.ready.end()) {
      route.cool_until = {};
      pump(route);
      co_return outcome(0, "due already, waiting for a session of its route");
    }
  }
  // Not scheduled (a route that no longer exists, a state write that failed):
  // check it is in queue/ and not held, then schedule it.
  queue::Spool* spool = services.spool;
  const std::string* id_pointer = &id;
  auto message = co_await on_pool(
      *services.pool, [spool, id_pointer]() -> core::Result<queue::SpooledMessage> {
        auto place = queue::locate_message(*spool, *id_pointer);
        if (!place) return core::fail(std::move(place.error()));
        if (*place != queue::Place::Queue) {
          return core::fail(
              core::ErrorClass::Permanent, "queue.wrong_state",
              fmt::format("message {} is in {}/: only a queued message can be retried", *id_pointer,
                          queue::to_string(*place)));
        }
        return spool->read(*place, *id_pointer);
      });
  if (!message) co_return core::fail(std::move(message.error()));
  if (message->state.hold) {
    co_return core::fail(core::ErrorClass::Permanent, "queue.wrong_state",
                         fmt::format("message {} is held: release it instead", id));
  }
  if (busy.contains(id) || armed.contains(id)) co_return outcome(0, "scheduled meanwhile");
  enqueue(id, message->envelope.route);
  co_return outcome(1, "due now");
}

// hold, release, delete: withdrawn from the schedule and marked busy while
// the spool changes on the pool; put back as it was if the change failed.
asio::awaitable<core::Result<queue::ControlOutcome>> Scheduler::Impl::change_one(
    queue::ControlRequest request) {
  const std::string id = request.argument;
  if (busy.contains(id)) co_return core::fail(busy_error(id));
  const Withdrawn withdrawn = withdraw(id);
  busy.insert(id);
  queue::Spool* spool = services.spool;
  const queue::ControlRequest* request_pointer = &request;
  std::string route;
  std::string* route_pointer = &route;
  auto done = co_await on_pool(*services.pool, [spool, request_pointer, route_pointer]() {
    const std::string& target = request_pointer->argument;
    switch (request_pointer->verb) {
      case queue::ControlVerb::Hold:
        return queue::hold_message(*spool, target);
      case queue::ControlVerb::Delete:
        return queue::delete_message(*spool, target);
      default:
        break;
    }
    auto released = queue::release_message(*spool, target);
    if (!released) return released;
    auto message = spool->read(queue::Place::Queue, target);
    if (!message) return core::Result<std::string>(core::fail(std::move(message.error())));
    *route_pointer = message->envelope.route;
    return released;
  });
  busy.erase(id);
  if (!done) {
    restore(id, withdrawn);
    co_return core::fail(std::move(done.error()));
  }
  if (request.verb == queue::ControlVerb::Release) enqueue(id, route);
  services.logger->info(
      "queue command",
      {{"queue_id", id}, {"command", queue::to_string(request.verb)}, {"result", *done}});
  co_return outcome(1, std::move(*done));
}

asio::awaitable<core::Result<queue::ControlOutcome>> Scheduler::Impl::control(
    queue::ControlRequest request) {
  auto self = shared_from_this();
  if (stopping) {
    co_return core::fail(core::ErrorClass::Temporary, "queue.stopping", "the relay is stopping",
                         "run the command again once it has stopped");
  }
  switch (request.verb) {
    case queue::ControlVerb::Retry: {
      auto done = co_await retry_one(std::move(request.argument));
      co_return done;
    }
    case queue::ControlVerb::RetryAll:
    case queue::ControlVerb::Flush: {
      const std::size_t count = retry_armed(nullptr);
      services.logger->info("queue command",
                            {{"command", queue::to_string(request.verb)}, {"messages", count}});
      co_return outcome(count,
                        fmt::format("{} deferred message{} due now", count, count == 1 ? "" : "s"));
    }
    case queue::ControlVerb::RetryRoute: {
      if (!routes.contains(request.argument)) {
        co_return core::fail(core::ErrorClass::Config, "queue.no_such_route",
                             fmt::format("the relay has no route \"{}\"", request.argument));
      }
      const std::size_t count = retry_armed(&request.argument);
      co_return outcome(count, fmt::format("{} deferred message{} of route {} due now", count,
                                           count == 1 ? "" : "s", request.argument));
    }
    case queue::ControlVerb::Hold:
    case queue::ControlVerb::Release:
    case queue::ControlVerb::Delete:
      break;
  }
  auto done = co_await change_one(std::move(request));
  co_return done;
}

asio::awaitable<core::Result<queue::ControlOutcome>> Scheduler::control(
    queue::ControlRequest request) {
  return impl_->control(std::move(request));
}

}  // namespace mailoauth::relay
