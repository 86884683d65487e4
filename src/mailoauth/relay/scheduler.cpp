// The scheduler's routes, sessions and timers; see scheduler.hpp.
#include "mailoauth/relay/scheduler.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "mailoauth/relay/delivery_attempt.hpp"
#include "mailoauth/relay/on_pool.hpp"

namespace mailoauth::relay {

namespace asio = boost::asio;

namespace {

using Steady = std::chrono::steady_clock;
using queue::RecipientStatus;

// An idle session waits this long for another message of its route before QUIT.
constexpr std::chrono::seconds kLinger{5};
// Another session is opened only when more than this many messages wait per open one.
constexpr std::size_t kMessagesPerSession = 2;

// A worker waiting for a message (lingering with its session open).
struct Idle {
  asio::steady_timer* timer = nullptr;
  std::optional<std::string> handed;
};

struct RouteQueue {
  UpstreamRoute upstream;
  std::deque<std::string> ready;
  std::size_t sessions = 0;
  std::vector<Idle*> idle;
  RateWindow rate;  // messages_per_minute
  Steady::time_point cool_until{};
  bool wake_pending = false;
};

struct Loaded {
  queue::SpooledMessage message;
  queue::ContentReader content;
};

// What one attempt did, for the log line and the worker.
struct AttemptLog {
  std::string reply;
  std::string upstream_id;
  bool throttled = false;
  bool session_usable = true;
  bool connect_failed = false;
};

std::string status_word(const queue::DeliveryState& state, const std::vector<std::size_t>& tried) {
  bool sent = false, failed = false, deferred = false;
  for (const std::size_t index : tried) {
    switch (state.recipients[index].status) {
      case RecipientStatus::Sent:
        sent = true;
        break;
      case RecipientStatus::Failed:
        failed = true;
        break;
      default:
        deferred = true;
    }
  }
  if (deferred) return (sent || failed) ? "partly-deferred" : "deferred";
  if (failed) return sent ? "partly-failed" : "failed";
  return "sent";
}

bool any_throttling(const smtp::SendReport& report) {
  if (is_throttling(report.mail_reply)) return true;
  for (const smtp::RecipientResult& recipient : report.recipients) {
    if (is_throttling(recipient.reply)) return true;
  }
  return (report.data_reply && is_throttling(*report.data_reply)) ||
         (report.data_start_reply && is_throttling(*report.data_start_reply));
}

std::string reply_of(const smtp::SendReport& report) {
  const smtp::Reply* reply = report.data_reply         ? &*report.data_reply
                             : report.data_start_reply ? &*report.data_start_reply
                                                       : &report.mail_reply;
  if (!report.data_reply && !report.data_start_reply) {
    for (const smtp::RecipientResult& recipient : report.recipients) {
      if (!recipient.accepted()) reply = &recipient.reply;
    }
  }
  return core::escape_control_characters(
      fmt::format("{} {}", reply->code, reply->lines.empty() ? "" : reply->lines.front()));
}

}  // namespace

struct Scheduler::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  SchedulerServices services;
  std::map<std::string, RouteQueue> routes;  // by name; addresses stay put
  bool stopping = false;
  std::size_t open_sessions = 0;
  std::vector<asio::steady_timer*> worker_timers;  // cancelled by stop()

  Impl(asio::any_io_executor executor_in, SchedulerServices services_in)
      : executor(std::move(executor_in)), services(std::move(services_in)) {}

  void enqueue(const std::string& id, const std::string& route_name);
  void pump(RouteQueue& route);
  void wake_at(RouteQueue& route, Steady::time_point when);
  void later(std::string id, std::string route_name, queue::WallTime when);
  asio::awaitable<void> worker(RouteQueue* route, std::string first);
  asio::awaitable<AttemptLog> deliver(RouteQueue* route, std::unique_ptr<smtp::Session>* session,
                                      std::string id);
  asio::awaitable<AttemptLog> attempt(RouteQueue* route, std::unique_ptr<smtp::Session>* session,
                                      Loaded* loaded, const std::vector<std::size_t>* pending);
  asio::awaitable<bool> settle(RouteQueue* route, const std::string* id,
                               const queue::DeliveryState* state);
  void log_attempt(const RouteQueue& route, const std::string& id, const Loaded& loaded,
                   const std::vector<std::size_t>& tried, const AttemptLog& result);
};

void Scheduler::Impl::enqueue(const std::string& id, const std::string& route_name) {
  auto found = routes.find(route_name);
  if (found == routes.end()) {
    services.logger->error("no such route any more: the message stays in the queue",
                           {{"queue_id", id}, {"route", route_name}});
    return;
  }
  found->second.ready.push_back(id);
  pump(found->second);
}

void Scheduler::Impl::pump(RouteQueue& route) {
  if (stopping) return;
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
  while (!route.ready.empty() && route.sessions < limit &&
         (route.sessions == 0 || route.ready.size() > route.sessions * kMessagesPerSession)) {
    std::string first = std::move(route.ready.front());
    route.ready.pop_front();
    ++route.sessions;
    ++open_sessions;
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
  timer->async_wait([self = shared_from_this(), id = std::move(id),
                     route_name = std::move(route_name), timer](boost::system::error_code) {
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
    route->rate.started(Steady::now());
    const AttemptLog result = co_await deliver(route, &session, std::move(*next));
    next.reset();
    if (!result.session_usable && session) {
      co_await session->quit();
      session.reset();
    }
    // Throttled, or the upstream is down: the route waits first_retry (1 min
    // by default) instead of hammering; its ready messages stay queued.
    if (result.throttled || result.connect_failed) {
      route->cool_until = Steady::now() + services.config->limits.first_retry;
    }
    if (Steady::now() < route->cool_until || stopping) break;
    if (!route->ready.empty()) {
      next = std::move(route->ready.front());
      route->ready.pop_front();
      continue;
    }
    if (!session) break;
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
  if (next) route->ready.push_front(std::move(*next));
  pump(*route);
}

asio::awaitable<AttemptLog> Scheduler::Impl::deliver(RouteQueue* route,
                                                     std::unique_ptr<smtp::Session>* session,
                                                     std::string id) {
  queue::Spool* spool = services.spool;
  const std::string* id_pointer = &id;
  auto loaded = co_await on_pool(*services.pool, [spool, id_pointer]() -> core::Result<Loaded> {
    auto message = spool->read(queue::Place::Queue, *id_pointer);
    if (!message) return core::fail(std::move(message.error()));
    auto content = spool->open_content(queue::Place::Queue, *id_pointer);
    if (!content) return core::fail(std::move(content.error()));
    return Loaded{std::move(*message), std::move(*content)};
  });
  AttemptLog result;
  if (!loaded) {  // removed meanwhile, or unreadable: recovery deals with it at the next start
    services.logger->error("cannot read a queued message",
                           {{"queue_id", id}, {"error", loaded.error().describe()}});
    co_return result;
  }
  if (loaded->message.state.hold) co_return result;
  const std::vector<std::size_t> pending = pending_recipients(loaded->message.state);
  if (!pending.empty()) {
    result = co_await attempt(route, session, &*loaded, &pending);
    std::optional<queue::WallTime> not_before;
    if (result.throttled) {
      not_before = std::chrono::system_clock::now() + services.config->limits.first_retry;
    }
    finish_attempt(loaded->message.state, std::chrono::system_clock::now(),
                   loaded->message.envelope.received, services.config->limits, not_before);
  }
  // The state is durable before anything is done about it.
  co_await settle(route, &id, &loaded->message.state);
  if (!pending.empty()) log_attempt(*route, id, *loaded, pending, result);
  co_return result;
}

// Talks to the upstream for the pending recipients and records the outcome in the state.
asio::awaitable<AttemptLog> Scheduler::Impl::attempt(RouteQueue* route,
                                                     std::unique_ptr<smtp::Session>* session,
                                                     Loaded* loaded,
                                                     const std::vector<std::size_t>* pending) {
  AttemptLog result;
  queue::DeliveryState& state = loaded->message.state;
  const UpstreamRoute& upstream = route->upstream;
  if (upstream.fault) {
    result.reply = "configuration: " + upstream.fault->describe();
    record_failure(state, *pending, result.reply, false);
    co_return result;
  }
  if (upstream.config->transport == delivery::Transport::Graph) {
    result.reply = "configuration: Graph delivery is not built into the relay yet";
    record_failure(state, *pending, result.reply, false);
    co_return result;
  }
  if (!*session || (*session)->broken()) {
    bool token_fault = false;
    bool renewed = false;
    auto opened = co_await open_upstream(&upstream, services.tokens, &token_fault, &renewed);
    if (renewed) {
      services.logger->info("the upstream refused the token; renewed once",
                            {{"queue_id", loaded->message.envelope.id},
                             {"route", upstream.config->name},
                             {"account", upstream.account->name},
                             {"renewed_token_accepted", static_cast<bool>(opened)}});
    }
    if (!opened) {
      result.reply = (token_fault ? "configuration (account): " : "") + opened.error().describe();
      result.session_usable = false;
      result.connect_failed = !token_fault;
      record_failure(state, *pending, result.reply, false);
      co_return result;
    }
    *session = std::move(*opened);
    // The next session of this account should not wait for a renewal:
    // renew in the background when the token has less than 10 minutes left.
    services.tokens->prefetch(upstream.account, std::chrono::minutes(10));
  }
  const queue::SpooledEnvelope& envelope = loaded->message.envelope;
  smtp::Envelope outgoing;
  outgoing.from = envelope.from;
  for (const std::size_t index : *pending)
    outgoing.recipients.push_back(envelope.recipients[index]);
  outgoing.needs_8bitmime = envelope.body != queue::Body::SevenBit;
  outgoing.needs_smtputf8 = envelope.smtputf8;
  smtp::MessageSource source = smtp::MessageSource::from_reader(
      std::make_unique<SpoolMessageReader>(std::move(loaded->content)));
  auto sent = co_await (*session)->send(std::move(outgoing), std::move(source));
  result.session_usable = !(*session)->broken();
  if (!sent) {
    const bool permanent =
        result.session_usable && sent.error().error_class() == core::ErrorClass::Permanent;
    result.reply = sent.error().describe();
    record_failure(state, *pending, result.reply, permanent);
    co_return result;
  }
  record_report(state, *pending, *sent);
  result.reply = reply_of(*sent);
  result.upstream_id = sent->queue_id;
  result.throttled = any_throttling(*sent);
  co_return result;
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
  co_return true;
}

void Scheduler::Impl::log_attempt(const RouteQueue& route, const std::string& id,
                                  const Loaded& loaded, const std::vector<std::size_t>& tried,
                                  const AttemptLog& result) {
  const queue::DeliveryState& state = loaded.message.state;
  std::string recipients;
  for (const std::size_t index : tried) {
    recipients += fmt::format("{}{}:{}", recipients.empty() ? "" : ",",
                              loaded.message.envelope.recipients[index],
                              queue::to_string(state.recipients[index].status));
  }
  const auto delay = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now() - loaded.message.envelope.received);
  const std::string upstream =
      fmt::format("{}:{}", route.upstream.settings.host, route.upstream.settings.port);
  const std::string status = status_word(state, tried);
  // One line per attempt: sent at info level, anything else at warn.
  services.logger->log(status == "sent" ? core::LogLevel::Info : core::LogLevel::Warn, "delivery",
                       {{"queue_id", id},
                        {"route", route.upstream.config->name},
                        {"recipients", recipients},
                        {"upstream", upstream},
                        {"delay", delay.count()},
                        {"attempt", state.attempts},
                        {"reply", result.reply},
                        {"upstream_id", result.upstream_id},
                        {"status", status}});
}

Scheduler::Scheduler(asio::any_io_executor executor, SchedulerServices services)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(services))) {
  const SchedulerServices& s = impl_->services;
  for (const RouteConfig& route : s.config->routes) {
    RouteQueue queue;
    queue.upstream = resolve_upstream(route, s.accounts, s.config->hostname);
    queue.rate = RateWindow(route.messages_per_minute);
    if (queue.upstream.fault) {
      s.logger->error("route cannot deliver: its mail is deferred until the config is fixed",
                      {{"route", route.name}, {"error", queue.upstream.fault->describe()}});
    }
    impl_->routes.emplace(route.name, std::move(queue));
  }
}

Scheduler::~Scheduler() {
  impl_->stopping = true;
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

}  // namespace mailoauth::relay
