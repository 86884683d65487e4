// The relay's SMTP server (smtp_listener.hpp): accept loops, one coroutine per
// session, and the bridge to the thread pool for the blocking work. The
// protocol's decisions are smtp::ServerSession's; this file only moves bytes
// and does what a SessionStep says.
#include "mailoauth/relay/smtp_listener.hpp"

#include <map>
#include <optional>

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "mailoauth/net/listener.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/net/tls_context.hpp"
#include "mailoauth/relay/on_pool.hpp"
#include "mailoauth/smtp/server_input.hpp"

namespace mailoauth::relay {
namespace asio = boost::asio;

namespace {

using smtp::ServerReply;
using smtp::SessionStep;
using smtp::Then;

constexpr std::chrono::seconds kHandshakeTimeout{30};
constexpr std::size_t kAppendBatch = 256 * 1024;  // content handed to the pool at once

// "192.0.2.7:2525" or "[2001:db8::1]:2525" → the address part.
std::string address_of(const std::string& peer) {
  if (!peer.empty() && peer.front() == '[') {
    const auto end = peer.find(']');
    return end == std::string::npos ? peer : peer.substr(1, end - 1);
  }
  const auto colon = peer.rfind(':');
  return colon == std::string::npos ? peer : peer.substr(0, colon);
}

queue::Body body_of(smtp::BodyType body) {
  switch (body) {
    case smtp::BodyType::SevenBit:
      return queue::Body::SevenBit;
    case smtp::BodyType::EightBitMime:
      return queue::Body::EightBitMime;
    case smtp::BodyType::BinaryMime:
      return queue::Body::BinaryMime;
  }
  return queue::Body::SevenBit;
}

// A spool failure as the client's reply: a full disk is 452 4.3.1 (RFC 3463),
// anything else 451 4.3.0; the message is not acknowledged either way.
ServerReply spool_refusal(const core::Error& error) {
  if (error.code() == queue::kNoSpace) {
    return ServerReply(452, "4.3.1", "Insufficient system storage");
  }
  return ServerReply(451, "4.3.0", "Error: the message could not be stored; try again later");
}

struct ListenerEntry {
  const ListenerConfig* config = nullptr;
  std::optional<net::Listener> listener;
  std::optional<net::ReloadableTlsContext> tls;
};

}  // namespace

struct SmtpServer::Impl : std::enable_shared_from_this<SmtpServer::Impl> {
  asio::any_io_executor executor;
  ServerServices services;
  std::vector<std::unique_ptr<ListenerEntry>> listeners;
  std::vector<RouteMatch> route_matches;      // the config's, for choose_route at each MAIL FROM
  std::shared_ptr<const RelayConfig> routes;  // SIGHUP's (set_routes); empty: services.config's
  struct OpenSession {
    net::Stream* stream = nullptr;
    const bool* idle = nullptr;  // waiting for a command outside a transaction
  };
  std::map<std::uint64_t, OpenSession> open_sessions;
  // SIGTERM (stop_accepting): a transaction in flight may finish; a session
  // outside one gets 421 4.3.2 at its next command, and one idle gets it now
  // and is closed.
  bool draining = false;
  // Counted when accepted, before the session's coroutine first runs, so a
  // burst of connections cannot slip past the limits.
  std::map<std::string, std::size_t> per_client;
  // Failed logins per client address across sessions (set in open()).
  AuthFailureBudget auth_budget{0, std::chrono::seconds(0)};
  std::size_t active = 0;
  std::uint64_t next_session = 1;
  bool accepting = false;

  asio::awaitable<void> accept_loop(ListenerEntry* entry);
  asio::awaitable<void> refuse_busy(net::Stream stream, std::string reason);
};

namespace {

// One client's session; lives in its coroutine's frame.
class Session {
 public:
  Session(std::shared_ptr<SmtpServer::Impl> server, ListenerEntry& listener, net::Stream stream,
          std::string client_ip)
      : server_(std::move(server)),
        services_(server_->services),
        config_(*services_.config),
        listener_(listener),
        stream_(std::move(stream)),
        client_ip_(std::move(client_ip)),
        users_(server_->services.users),
        input_(smtp::ServerInputLimits{.max_line_length = 2048,
                                       .max_buffered = 64 * 1024,
                                       .max_message_size = config_.limits.max_message_size}) {}

  asio::awaitable<void> run();
  net::Stream& stream() { return stream_; }
  const bool* idle() const { return &idle_; }
  // A message cut off mid-content is removed (unlinked) on the pool.
  asio::awaitable<void> drop_unfinished();

 private:
  smtp::ServerSession make_session();
  asio::awaitable<bool> greet();
  asio::awaitable<bool> flush();
  void say_shutting_down();  // 421 4.3.2 into out_
  asio::awaitable<bool> read_more(std::chrono::milliseconds timeout);
  // Does what the step says; false: the session is over.
  asio::awaitable<bool> act(SessionStep step);
  asio::awaitable<bool> start_tls();
  asio::awaitable<SessionStep> verify_password(SessionStep step);
  asio::awaitable<SessionStep> begin_message();
  asio::awaitable<std::optional<SessionStep>> read_content();
  void log_received(const queue::IncomingMessage& message, std::uint64_t size);
  void log(core::LogLevel level, std::string_view message, const core::Error* error = nullptr);

  std::shared_ptr<SmtpServer::Impl> server_;
  ServerServices& services_;
  const RelayConfig& config_;
  ListenerEntry& listener_;
  net::Stream stream_;
  std::string client_ip_;
  std::shared_ptr<const std::vector<RelayUser>> users_;
  smtp::ServerInput input_;
  std::optional<smtp::ServerSession> session_;
  std::string out_;
  std::optional<queue::IncomingMessage> message_;
  bool idle_ = false;  // waiting for a command outside a transaction (SmtpServer::Impl::draining)
};

smtp::ServerSession Session::make_session() {
  const ListenerConfig& listener = *listener_.config;
  const auto address = parse_ip_address(client_ip_);
  smtp::ListenerFacts facts;
  facts.hostname = config_.hostname;
  facts.tls_available = listener_.tls.has_value();
  facts.tls_active = stream_.encrypted();
  facts.auth_offered = listener.auth != AuthPolicy::Off;
  facts.plaintext_auth_allowed = listener.allow_plaintext_auth;
  facts.client_trusted =
      listener.auth != AuthPolicy::Required && address && any_contains(listener.clients, *address);
  smtp::SessionLimits limits;
  limits.max_recipients = config_.limits.max_recipients;
  limits.max_message_size = config_.limits.max_message_size;
  limits.max_errors = config_.limits.max_errors;
  // The routes at the time of each MAIL FROM: a reload applies to open sessions too.
  auto lookup = [server = server_.get(), users = users_, name = listener.name](
                    std::string_view user, std::string_view sender) {
    const RelayConfig& routes = server->routes ? *server->routes : *server->services.config;
    return lookup_route(routes, server->route_matches, *users, name, user, sender);
  };
  return smtp::ServerSession(std::move(facts), limits, std::move(lookup));
}

void Session::log(core::LogLevel level, std::string_view message, const core::Error* error) {
  if (error == nullptr) {
    services_.logger->log(level, message,
                          {{"client", stream_.peer()}, {"listener", listener_.config->name}});
    return;
  }
  services_.logger->log(level, message,
                        {{"client", stream_.peer()},
                         {"listener", listener_.config->name},
                         {"error", error->describe()}});
}

// Shutting down: no new transaction (the client keeps its mail and tries later).
void Session::say_shutting_down() {
  out_ += ServerReply(421, "4.3.2",
                      fmt::format("{} Service shutting down, closing connection", config_.hostname))
              .render();
}

asio::awaitable<bool> Session::flush() {
  if (out_.empty()) co_return true;
  const std::string bytes = std::exchange(out_, {});
  auto written = co_await stream_.write(bytes, config_.limits.command_timeout);
  co_return written.has_value();
}

asio::awaitable<bool> Session::read_more(std::chrono::milliseconds timeout) {
  const std::size_t space = input_.space();
  if (space == 0) co_return false;  // ServerInput never fills without a line or piece to take
  auto bytes = co_await stream_.read_some(space, timeout);
  if (!bytes) {
    if (bytes.error().code() == "net.interrupted" && server_->draining) {  // stop_accepting
      say_shutting_down();
      co_await flush();
    }
    if (bytes.error().code() == "net.timeout") {
      log(core::LogLevel::Info, "timeout: the client was silent too long, closing");
      out_ += ServerReply(421, "4.4.2", fmt::format("{} Error: timeout exceeded", config_.hostname))
                  .render();
      co_await flush();
    }
    co_return false;
  }
  input_.feed(*bytes);
  co_return true;
}

// The greeting, after a pause in which a well-behaved client says nothing
// (RFC 5321 4.3.1: the client waits for the 220). Spam engines and broken
// scripts that talk first are refused. Implicit TLS skips the pause: the
// handshake is the client's first word there.
asio::awaitable<bool> Session::greet() {
  const auto pause = config_.limits.greeting_pause;
  if (!stream_.encrypted() && pause.count() > 0) {
    auto early = co_await stream_.read_some(512, pause);
    if (early) {
      log(core::LogLevel::Warn, "refused: the client talked before the greeting");
      out_ += ServerReply(554, "5.5.1", "Error: talked before the greeting").render();
      co_await flush();
      co_return false;
    }
    if (early.error().code() != "net.timeout") co_return false;
  }
  for (const ServerReply& reply : session_->greeting().replies) out_ += reply.render();
  const bool sent = co_await flush();
  co_return sent;
}

asio::awaitable<void> Session::run() {
  if (listener_.config->tls == delivery::TlsMode::Implicit) {
    auto handshake = co_await stream_.start_tls(listener_.tls->current(), kHandshakeTimeout);
    if (!handshake) {
      log(core::LogLevel::Info, "TLS handshake failed", &handshake.error());
      co_return;
    }
  }
  session_.emplace(make_session());
  if (!co_await greet()) co_return;
  const std::chrono::milliseconds command_timeout = config_.limits.command_timeout;
  for (;;) {
    while (auto line = input_.next_line()) {
      if (server_->draining && !session_->in_transaction()) {
        say_shutting_down();
        co_await flush();
        co_return;
      }
      SessionStep step = session_->on_line(*line);
      if (!co_await act(std::move(step))) {
        co_await flush();
        co_return;
      }
    }
    // Every complete command buffered is answered: the replies go together (RFC 2920).
    if (!co_await flush()) co_return;
    idle_ = !session_->in_transaction();
    if (idle_ && server_->draining) {
      say_shutting_down();
      co_await flush();
      co_return;
    }
    const bool more = co_await read_more(command_timeout);
    idle_ = false;
    if (!more) co_return;
  }
}

asio::awaitable<void> Session::drop_unfinished() {
  if (!message_) co_return;
  services_.logger->info("message abandoned: the session ended before its end",
                         {{"queue_id", message_->id()}, {"client", stream_.peer()}});
  std::optional<queue::IncomingMessage>* unfinished = &message_;
  co_await on_pool(*services_.pool, [unfinished]() {
    unfinished->reset();
    return true;
  });
}

asio::awaitable<bool> Session::act(SessionStep step) {
  for (ServerReply& reply : step.replies) out_ += reply.render();
  switch (step.then) {
    case Then::Continue:
      co_return true;
    case Then::Close:
      co_return false;
    case Then::StartTls: {
      const bool started = co_await start_tls();
      co_return started;
    }
    case Then::VerifyPassword: {
      SessionStep next = co_await verify_password(std::move(step));
      const bool going_on = co_await act(std::move(next));
      co_return going_on;
    }
    case Then::BeginMessage: {
      SessionStep next = co_await begin_message();
      const bool going_on = co_await act(std::move(next));
      co_return going_on;
    }
    case Then::ReadContent: {
      std::optional<SessionStep> next = co_await read_content();
      if (!next) co_return false;
      const bool going_on = co_await act(std::move(*next));
      co_return going_on;
    }
  }
  co_return false;
}

asio::awaitable<bool> Session::start_tls() {
  if (!co_await flush()) co_return false;
  if (input_.buffered() > 0) {
    // Plain text pipelined after STARTTLS would be read as if it came over
    // TLS (CVE-2011-0411): the session ends instead.
    log(core::LogLevel::Warn, "refused: commands pipelined after STARTTLS (injection)");
    co_return false;
  }
  auto started = co_await stream_.start_tls(listener_.tls->current(), kHandshakeTimeout, 0);
  if (!started) {
    log(core::LogLevel::Info, "TLS handshake after STARTTLS failed", &started.error());
    co_return false;
  }
  session_->tls_started();
  co_return true;
}

// A password check counted against the client address's failure budget;
// one cut short (the session cancelled meanwhile) counts as no failure.
class BudgetedCheck {
 public:
  BudgetedCheck(AuthFailureBudget& budget, const IpAddress& address)
      : budget_(budget), address_(address) {}
  BudgetedCheck(const BudgetedCheck&) = delete;
  BudgetedCheck& operator=(const BudgetedCheck&) = delete;
  ~BudgetedCheck() {
    if (!done_) budget_.finish(address_, false, AuthFailureBudget::Clock::now());
  }
  void finish(bool failed) {
    done_ = true;
    budget_.finish(address_, failed, AuthFailureBudget::Clock::now());
  }

 private:
  AuthFailureBudget& budget_;
  IpAddress address_;
  bool done_ = false;
};

asio::awaitable<SessionStep> Session::verify_password(SessionStep step) {
  auto users = users_;
  std::string name = step.user;
  core::Secret password = std::move(*step.password);
  // An address past its budget is not even checked (no guess, no Argon2id).
  const IpAddress address = parse_ip_address(client_ip_).value_or(IpAddress{});
  if (!server_->auth_budget.begin(address, AuthFailureBudget::Clock::now())) {
    services_.logger->warn("AUTH refused: too many failed logins from this address",
                           {{"client", stream_.peer()},
                            {"user", name},
                            {"failures_per_client",
                             static_cast<std::int64_t>(config_.limits.auth_failures_per_client)},
                            {"window_seconds", config_.limits.auth_failure_window.count()}});
    SessionStep refused;
    refused.replies.emplace_back(454, "4.7.0",
                                 "Too many failed logins from your address; try again later");
    co_return refused;
  }
  BudgetedCheck counted(server_->auth_budget, address);
  const bool valid =
      co_await on_pool(*services_.pool, [users = users.get(), &name, &password]() -> bool {
        const RelayUser* user = find_relay_user(*users, name);
        return user != nullptr && verify_relay_password(*user, password);
      });
  services_.logger->log(valid ? core::LogLevel::Info : core::LogLevel::Warn,
                        valid ? "authenticated" : "authentication failed",
                        {{"client", stream_.peer()},
                         {"user", name},  // the logger escapes every field
                         {"tls", stream_.encrypted()}});
  counted.finish(!valid);
  if (valid && !stream_.encrypted()) {
    log(core::LogLevel::Warn,
        "AUTH over clear text (allow_plaintext_auth): the password crossed the network "
        "unencrypted");
  }
  co_return session_->password_checked(valid);
}

asio::awaitable<SessionStep> Session::begin_message() {
  const smtp::Transaction& transaction = session_->transaction();
  queue::SpooledEnvelope envelope;
  envelope.client = stream_.peer();
  envelope.helo = session_->helo();
  envelope.listener = listener_.config->name;
  envelope.user = session_->user();
  envelope.route = transaction.route;
  envelope.from = transaction.from;
  envelope.recipients = transaction.recipients;
  envelope.body = body_of(transaction.body);
  envelope.smtputf8 = transaction.smtputf8;
  queue::Spool* spool = services_.spool;
  auto begun = co_await on_pool(*services_.pool,
                                [spool, &envelope]() { return spool->begin(std::move(envelope)); });
  if (!begun) {
    log(core::LogLevel::Error, "cannot start a message in the spool", &begun.error());
    co_return session_->message_started(spool_refusal(begun.error()));
  }
  message_.emplace(std::move(*begun));
  co_return session_->message_started(std::nullopt);
}

// Streams the content into the spool file in batches on the pool, then
// commits. The reply to the message comes from message_finished(), which the
// caller acts on: a 250 only once commit() returned success.
asio::awaitable<std::optional<SessionStep>> Session::read_content() {
  if (!co_await flush()) co_return std::nullopt;  // the 354
  input_.begin_data();
  const smtp::Transaction& transaction = session_->transaction();
  std::string batch = received_header({.helo = session_->helo(),
                                       .client_ip = client_ip_,
                                       .hostname = config_.hostname,
                                       .esmtp = session_->esmtp(),
                                       .tls = stream_.encrypted(),
                                       .authenticated = !session_->user().empty(),
                                       .queue_id = message_->id(),
                                       .recipients = transaction.recipients,
                                       .time = services_.clock->now()});
  std::optional<core::Error> failure;
  queue::IncomingMessage* message = &*message_;
  auto write_batch = [&]() -> asio::awaitable<void> {
    std::string bytes = std::exchange(batch, {});
    auto appended =
        co_await on_pool(*services_.pool, [message, &bytes]() { return message->append(bytes); });
    if (!appended) failure = appended.error();
  };
  for (;;) {
    auto piece = input_.next_content();
    if (!piece) {
      if (!co_await read_more(config_.limits.data_timeout)) co_return std::nullopt;
      continue;
    }
    if (piece->end) break;
    if (failure || input_.content_too_large()) continue;  // read and dropped
    batch.append(piece->bytes);
    if (batch.size() >= kAppendBatch) co_await write_batch();
  }
  std::optional<ServerReply> refusal;
  if (!failure && input_.content_too_large()) {
    refusal = ServerReply(552, "5.3.4", "Message size exceeds fixed limit");
  }
  if (!failure && !refusal) {
    if (!batch.empty()) co_await write_batch();
    if (!failure) {
      auto committed = co_await on_pool(*services_.pool, [message]() { return message->commit(); });
      if (!committed) failure = committed.error();
    }
  }
  if (failure) {
    log(core::LogLevel::Error, "message not stored", &*failure);
    refusal = spool_refusal(*failure);
  }
  std::optional<std::string> queue_id;
  if (!refusal) {
    queue_id = message_->id();
    log_received(*message_, input_.content_size());
    // Durable now: the scheduler takes it (never waited for here).
    if (services_.on_queued) services_.on_queued(*queue_id, session_->transaction().route);
  } else if (!failure) {
    services_.logger->info("refused: message too large", {{"queue_id", message_->id()},
                                                          {"client", stream_.peer()},
                                                          {"size", input_.content_size()}});
  }
  // An uncommitted message's destructor unlinks its file: a blocking call, so on the pool.
  std::optional<queue::IncomingMessage>* done = &message_;
  if (refusal) {
    co_await on_pool(*services_.pool, [done]() {
      done->reset();
      return true;
    });
  }
  message_.reset();
  co_return session_->message_finished(std::move(queue_id), std::move(refusal));
}

void Session::log_received(const queue::IncomingMessage& message, std::uint64_t size) {
  const smtp::Transaction& transaction = session_->transaction();
  services_.logger->info("received",
                         {{"queue_id", message.id()},
                          {"client", stream_.peer()},
                          {"listener", listener_.config->name},
                          {"helo", session_->helo()},
                          {"user", session_->user()},
                          {"tls", stream_.encrypted()},
                          {"size", size},
                          {"from", transaction.from.empty() ? std::string("<>") : transaction.from},
                          {"recipients", transaction.recipients.size()},
                          {"route", transaction.route}});
}

}  // namespace

asio::awaitable<void> SmtpServer::Impl::refuse_busy(net::Stream stream, std::string reason) {
  const std::string reply = ServerReply(421, "4.7.0", reason).render();
  co_await stream.write(reply, std::chrono::seconds(10));
  stream.close();
}

asio::awaitable<void> run_session(std::shared_ptr<SmtpServer::Impl> server, ListenerEntry* entry,
                                  net::Stream stream) {
  const std::string client_ip = address_of(stream.peer());
  const std::uint64_t id = server->next_session++;
  Session session(server, *entry, std::move(stream), client_ip);
  server->open_sessions[id] = {&session.stream(), session.idle()};
  co_await session.run();
  co_await session.drop_unfinished();
  session.stream().close();
  server->open_sessions.erase(id);
  --server->active;
  if (--server->per_client[client_ip] == 0) server->per_client.erase(client_ip);
}

asio::awaitable<void> SmtpServer::Impl::accept_loop(ListenerEntry* entry) {
  auto self = shared_from_this();
  while (accepting) {
    auto accepted = co_await entry->listener->accept();
    if (!accepted) {
      if (accepted.error().code() == "net.cancelled" || !accepting) break;
      services.logger->warn("accept failed", {{"listener", entry->config->name},
                                              {"error", accepted.error().describe()}});
      continue;
    }
    const std::string client_ip = address_of(accepted->peer());
    const RelayLimits& limits = services.config->limits;
    const auto same_client = per_client.find(client_ip);
    std::optional<std::string> busy;
    if (active >= limits.max_sessions) {
      busy = fmt::format("{} Error: too many sessions, try again later", services.config->hostname);
    } else if (same_client != per_client.end() &&
               same_client->second >= limits.max_sessions_per_client) {
      busy =
          fmt::format("{} Error: too many sessions from {}", services.config->hostname, client_ip);
    }
    if (busy) {
      services.logger->warn("refused: session limit",
                            {{"client", accepted->peer()}, {"listener", entry->config->name}});
      asio::co_spawn(executor, refuse_busy(std::move(*accepted), std::move(*busy)), asio::detached);
      continue;
    }
    ++active;
    ++per_client[client_ip];
    asio::co_spawn(executor, run_session(self, entry, std::move(*accepted)), asio::detached);
  }
}

SmtpServer::SmtpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

SmtpServer::~SmtpServer() {
  impl_->accepting = false;
  for (auto& entry : impl_->listeners) {
    if (entry->listener) entry->listener->close();
  }
}

core::Result<std::unique_ptr<SmtpServer>> SmtpServer::open(asio::any_io_executor executor,
                                                           ServerServices services) {
  auto impl = std::make_shared<Impl>();
  impl->executor = executor;
  impl->services = std::move(services);
  impl->route_matches = impl->services.config->route_matches();
  impl->auth_budget = AuthFailureBudget(impl->services.config->limits.auth_failures_per_client,
                                        impl->services.config->limits.auth_failure_window);
  for (const ListenerConfig& config : impl->services.config->listeners) {
    auto entry = std::make_unique<ListenerEntry>();
    entry->config = &config;
    if (config.tls != delivery::TlsMode::None) {
      auto tls = net::ReloadableTlsContext::load(
          net::ServerTlsSettings{config.certificate, config.key, config.min_tls});
      if (!tls) {
        return core::fail(std::move(tls.error().context(
            fmt::format("loading the certificate of listener \"{}\"", config.name))));
      }
      entry->tls.emplace(std::move(*tls));
    }
    auto listener = net::Listener::open(executor, config.address, config.port);
    if (!listener) {
      return core::fail(
          std::move(listener.error().context(fmt::format("opening listener \"{}\"", config.name))));
    }
    entry->listener.emplace(std::move(*listener));
    impl->listeners.push_back(std::move(entry));
  }
  return std::unique_ptr<SmtpServer>(new SmtpServer(std::move(impl)));
}

void SmtpServer::start() {
  impl_->accepting = true;
  for (auto& entry : impl_->listeners) {
    impl_->services.logger->info("listening", {{"listener", entry->config->name},
                                               {"address", entry->listener->local()},
                                               {"tls", delivery::to_string(entry->config->tls)},
                                               {"auth", to_string(entry->config->auth)}});
    asio::co_spawn(impl_->executor, impl_->accept_loop(entry.get()), asio::detached);
  }
}

void SmtpServer::stop_accepting() {
  impl_->accepting = false;
  impl_->draining = true;
  for (auto& entry : impl_->listeners) entry->listener->close();
  // Sessions waiting for a command outside a transaction get 421 4.3.2 now
  // and end (RFC 5321 3.8); the others finish their transaction and get it
  // at the next command.
  for (auto& [id, open] : impl_->open_sessions) {
    if (*open.idle) open.stream->interrupt("the relay is shutting down");
  }
}

void SmtpServer::cancel_sessions() {
  for (auto& [id, open] : impl_->open_sessions) open.stream->cancel("the relay is shutting down");
}

std::size_t SmtpServer::sessions() const {
  return impl_->active;
}

void SmtpServer::set_users(std::shared_ptr<const std::vector<RelayUser>> users) {
  impl_->services.users = std::move(users);
}

void SmtpServer::set_routes(std::shared_ptr<const RelayConfig> config) {
  impl_->route_matches = config->route_matches();
  impl_->routes = std::move(config);
}

std::vector<core::Error> SmtpServer::reload_certificates() {
  std::vector<core::Error> errors;
  for (auto& entry : impl_->listeners) {
    if (!entry->tls) continue;
    if (auto reloaded = entry->tls->reload(); !reloaded) {
      errors.push_back(std::move(reloaded.error().context(
          fmt::format("reloading the certificate of listener \"{}\"", entry->config->name))));
    }
  }
  return errors;
}

std::vector<std::uint16_t> SmtpServer::ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& entry : impl_->listeners) ports.push_back(entry->listener->port());
  return ports;
}

}  // namespace mailoauth::relay
