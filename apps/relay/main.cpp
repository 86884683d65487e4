// mailoauth-relay: the program behind `mailoauth relay ...` (exec'd by
// `mailoauth`, like mailoauth-send and mailoauth-imap, so the token commands
// never load Asio or libssl).
//   relay run [--config F]          the SMTP relay in the foreground (systemd, containers)
//   relay check-config [--config F] load and check the config; say what it would do
//   relay user add NAME [--sender S]...   password from stdin, stored as Argon2id
//   relay user remove NAME / relay user list
// While `run` runs it holds <spool>/relay.lock and serves the queue tool on
// <spool>/control.sock (relay::ControlListener; `mailoauth queue`, docs/queue.md).
// This file is the command line, start-up and shutdown; sessions are
// relay::SmtpServer's, the spool queue::Spool's, delivery relay::Scheduler's.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/file_write.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/core/service_notifier.hpp"
#include "mailoauth/net/tls_context.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/token_cache.hpp"
#include "mailoauth/oauth2/token_source.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/queue/spool_lock.hpp"
#include "mailoauth/relay/auto_route.hpp"
#include "mailoauth/relay/bounce_generator.hpp"
#include "mailoauth/relay/control_listener.hpp"
#include "mailoauth/relay/graph_delivery.hpp"
#include "mailoauth/relay/metrics_http_server.hpp"
#include "mailoauth/relay/relay_config.hpp"
#include "mailoauth/relay/relay_metrics.hpp"
#include "mailoauth/relay/relay_users.hpp"
#include "mailoauth/relay/scheduler.hpp"
#include "mailoauth/relay/service_status.hpp"
#include "mailoauth/relay/smtp_listener.hpp"

#include "../common/global_options.hpp"

namespace {

using namespace mailoauth;
namespace asio = boost::asio;
using core::ErrorClass;
using core::Result;

constexpr std::string_view kDefaultConfig = "/etc/mailoauth/relay.toml";

struct Options {
  std::string config = std::string(kDefaultConfig);
  std::string users_file;  // overrides the config's
  std::string user;
  std::vector<std::string> senders;
  std::string log_format = "logfmt";  // run --log-format
};

int report(const core::Error& error) {
  fmt::print(stderr, "mailoauth relay: {}\n", error.describe());
  return core::policy_for(error.error_class()).exit_code;
}

Result<relay::RelayConfig> load(const Options& options) {
  auto config = relay::load_relay_config(options.config);
  if (!config) return config;
  if (!options.users_file.empty()) config->users_file = options.users_file;
  return config;
}

// The users file; a missing file is no users (AUTH then fails for everyone).
Result<std::vector<relay::RelayUser>> read_users(const std::filesystem::path& path,
                                                 bool* missing = nullptr) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    if (errno == ENOENT) {
      if (missing != nullptr) *missing = true;
      return std::vector<relay::RelayUser>{};
    }
    return core::fail(ErrorClass::Config, "relay.users_file",
                      fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  const std::string text{std::istreambuf_iterator<char>(file), {}};
  return relay::parse_relay_users(text, path.string());
}

Result<void> write_users(const std::filesystem::path& path,
                         const std::vector<relay::RelayUser>& users) {
  return core::atomic_write_file(path, relay::encode_relay_users(users), 0600);
}

// --- run ---------------------------------------------------------------------

asio::awaitable<void> drain(relay::SmtpServer* server, relay::Scheduler* scheduler,
                            asio::io_context* io, std::chrono::seconds grace,
                            core::Logger* logger) {
  asio::steady_timer timer(io->get_executor());
  const auto deadline = std::chrono::steady_clock::now() + grace;
  // Client sessions and upstream deliveries in progress may finish.
  while (server->sessions() + scheduler->sessions() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(100));
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (server->sessions() > 0) {
    logger->warn("shutdown grace over: closing the remaining sessions",
                 {{"sessions", server->sessions()}});
    server->cancel_sessions();
    const auto last = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (server->sessions() > 0 && std::chrono::steady_clock::now() < last) {
      timer.expires_after(std::chrono::milliseconds(50));
      co_await timer.async_wait(asio::use_awaitable);
    }
  }
  logger->info("stopped");
  io->stop();
}

void log_recovery(core::Logger& logger, const queue::RecoveryReport& report) {
  for (const std::string& note : report.notes) logger.info("recovery", {{"note", note}});
  logger.info("spool recovered", {{"messages", report.messages.size()},
                                  {"incomplete_removed", report.incomplete_removed},
                                  {"moved_to_corrupt", report.moved_to_corrupt}});
}

// The accounts routes name: the relay config's `accounts`, else --config of
// `mailoauth`, else the default accounts config.
Result<std::shared_ptr<const oauth2::AccountsConfig>> load_accounts(
    const app::GlobalOptions& global, const relay::RelayConfig& config) {
  std::filesystem::path path = config.accounts;
  if (path.empty() && !global.config_file.empty()) path = global.config_file;
  if (path.empty()) {
    auto found = oauth2::default_config_path();
    if (!found) return core::fail(found.error());
    path = *found;
  }
  auto loaded = oauth2::load_accounts(path);
  if (!loaded) return core::fail(loaded.error());
  return std::make_shared<const oauth2::AccountsConfig>(std::move(*loaded));
}

// The token source's workers, each with its own store connection and HTTP
// clients: an account's identity server is verified with that account's
// ca_file, an account without one with the system's store (OwnedEngine::engine_for).
Result<std::unique_ptr<oauth2::TokenSource>> start_tokens(const app::GlobalOptions& global,
                                                          core::Logger* logger,
                                                          relay::RelayMetrics* metrics) {
  std::filesystem::path state = global.state_dir;
  if (state.empty()) {
    auto found = oauth2::default_state_directory();
    if (!found) return core::fail(found.error());
    state = *found;
  }
  oauth2::HttpSettings http;
  oauth2::EngineFactory factory = [state, http,
                                   logger]() -> Result<std::unique_ptr<oauth2::OwnedEngine>> {
    auto store = oauth2::open_default_store(state);
    if (!store) return core::fail(store.error());
    return std::make_unique<oauth2::OwnedEngine>(std::move(*store), http, oauth2::RetryPolicy{},
                                                 logger);
  };
  oauth2::TokenSourceOptions options;
  options.logger = logger;
  options.on_renewal = [metrics](const std::string& account, bool succeeded) {
    metrics->token_renewal(account, succeeded);
  };
  return oauth2::TokenSource::start(std::move(factory), options);
}

bool names_an_account(const relay::RelayConfig& config, const oauth2::AccountsConfig& accounts) {
  return std::ranges::any_of(config.routes, [&](const relay::RouteConfig& route) {
    return static_cast<bool>(accounts.find(route.account));
  });
}

// SIGHUP, routes and accounts: the config file and the accounts it names are
// loaded and checked again as at start (never an open relay, no ties); on any
// failure the running ones stay and the log says why. New MAIL FROM checks
// and new delivery attempts use them; deliveries in flight finish with what
// they had. What a reload cannot apply (listeners, limits, paths) is logged
// as ignored: it needs a restart.
void reload_routes(const app::GlobalOptions& global, const Options& options,
                   const relay::RelayConfig& running, relay::SmtpServer& server,
                   relay::Scheduler& scheduler, std::unique_ptr<oauth2::TokenSource>& tokens,
                   core::Logger& logger, relay::RelayMetrics& metrics) {
  auto loaded = load(options);
  if (!loaded) {
    logger.error("SIGHUP: the config could not be loaded; the running routes and accounts stay",
                 {{"error", loaded.error().describe()}});
    return;
  }
  std::string ignored;
  for (const std::string& name : relay::changes_needing_restart(running, *loaded)) {
    ignored += (ignored.empty() ? "" : ",") + name;
  }
  if (!ignored.empty()) {
    logger.warn("SIGHUP: these changes need a restart and were ignored", {{"changed", ignored}});
  }
  auto merged = relay::with_reloaded_routes(running, *loaded);
  if (!merged) {
    logger.error(
        "SIGHUP: the new routes do not fit the running listeners; the running routes "
        "and accounts stay",
        {{"error", merged.error().describe()}});
    return;
  }
  auto accounts = load_accounts(global, *merged);
  if (!accounts) {
    logger.error("SIGHUP: the accounts could not be loaded; the running routes and accounts stay",
                 {{"error", accounts.error().describe()}});
    return;
  }
  if (!tokens && names_an_account(*merged, **accounts)) {
    auto started = start_tokens(global, &logger, &metrics);
    if (!started) {
      logger.error(
          "SIGHUP: the token source could not start; the running routes and accounts "
          "stay",
          {{"error", started.error().describe()}});
      return;
    }
    tokens = std::move(*started);
  }
  auto config = std::make_shared<const relay::RelayConfig>(std::move(*merged));
  scheduler.reload(config, *accounts, tokens.get());
  server.set_routes(config);
  metrics.configure(*config, **accounts);
  logger.info("SIGHUP: routes and accounts reloaded",
              {{"routes", config->routes.size()}, {"accounts", (*accounts)->accounts.size()}});
}

// [metrics] listen: the Prometheus and health listener (relay/metrics_http_server),
// or none. Ready: the SMTP listeners are bound (they are, by now) and the
// spool writable (the listener probes it), until SIGTERM.
Result<std::unique_ptr<relay::MetricsServer>> open_metrics(
    asio::io_context& io, const relay::RelayConfig& config, relay::SmtpServer& server,
    relay::RelayMetrics& metrics, const bool& stopping, core::Logger& logger) {
  if (!config.metrics) return std::unique_ptr<relay::MetricsServer>{};
  metrics.registry().on_collect(
      [&server, &metrics] { metrics.set_sessions_in(server.sessions()); });
  relay::MetricsServerServices services;
  services.metrics = &metrics;
  services.logger = &logger;
  services.spool_directory = config.spool_directory;
  services.not_ready = [&stopping]() -> std::optional<std::string> {
    if (stopping) return "stopping: no new sessions";
    return std::nullopt;
  };
  auto opened = relay::MetricsServer::open(io.get_executor(), *config.metrics, std::move(services));
  if (opened) (*opened)->start();
  return opened;
}

int run(const app::GlobalOptions& global, const Options& options) {
  auto config = load(options);
  if (!config) return report(config.error());
  auto level = core::parse_log_level(global.verbose ? "debug" : global.log_level);
  if (!level) return report(level.error());
  auto format = core::parse_log_format(options.log_format);
  if (!format) return report(format.error());
  core::StderrSink sink;
  core::Logger logger(*level, *format, &sink);
  // systemd's Type=notify (docs/relay.md); disabled without NOTIFY_SOCKET.
  auto notifier = core::ServiceNotifier::from_environment();
  if (!notifier) return report(notifier.error());
  auto spool = queue::Spool::open(config->spool_directory);
  if (!spool) return report(spool.error());
  // The spool is ours while we run: a second relay is refused, and the queue
  // tool sends its changes through the control socket (docs/queue.md).
  auto spool_lock = queue::SpoolLock::acquire(config->spool_directory, std::chrono::seconds(10));
  if (!spool_lock) return report(spool_lock.error());
  auto recovered = (*spool)->recover();
  if (!recovered) return report(recovered.error());
  log_recovery(logger, *recovered);
  bool missing = false;
  auto users = read_users(config->users_file, &missing);
  if (!users) return report(users.error());
  if (missing) {
    logger.warn("no users file: AUTH will refuse everyone",
                {{"users_file", config->users_file.string()}});
  }
  auto accounts = load_accounts(global, *config);
  if (!accounts) return report(accounts.error());
  relay::RelayMetrics metrics(std::chrono::system_clock::now());
  metrics.configure(*config, **accounts);
  // The token source (worker threads, the token store) only when some route
  // names an account that exists; the others' mail is deferred and logged.
  Result<std::unique_ptr<oauth2::TokenSource>> tokens = std::unique_ptr<oauth2::TokenSource>{};
  if (names_an_account(*config, **accounts)) tokens = start_tokens(global, &logger, &metrics);
  if (!tokens) return report(tokens.error());
  asio::io_context io(1);
  asio::thread_pool pool(2);
  // The scheduler's spool reads and state writes on threads of their own, so
  // a backlog of deliveries never queues ahead of a session's commit (the 250).
  asio::thread_pool delivery_pool(2);
  relay::SchedulerServices scheduling;
  scheduling.config = &*config;
  scheduling.accounts = *accounts;
  scheduling.spool = spool->get();
  scheduling.tokens = tokens->get();
  scheduling.logger = &logger;
  scheduling.pool = &delivery_pool;
  scheduling.metrics = &metrics;
  relay::Scheduler scheduler(io.get_executor(), std::move(scheduling));
  relay::ServerServices services;
  services.config = &*config;
  services.spool = spool->get();
  services.users = std::make_shared<const std::vector<relay::RelayUser>>(std::move(*users));
  services.logger = &logger;
  services.pool = &pool;
  services.on_queued = [&scheduler, &metrics](const std::string& id, const std::string& route) {
    metrics.received(route);
    scheduler.queued(id, route);
  };
  auto server = relay::SmtpServer::open(io.get_executor(), services);
  if (!server) return report(server.error());
  bool stopping = false;  // /readyz says so while the relay drains
  auto metrics_server = open_metrics(io, *config, **server, metrics, stopping, logger);
  if (!metrics_server) return report(metrics_server.error());
  (*server)->start();
  scheduler.start(recovered->messages);
  // `mailoauth queue` while we run; without it the relay still delivers.
  auto control = relay::ControlListener::open(
      io.get_executor(), queue::control_socket_path(config->spool_directory), &scheduler, &logger);
  if (control) {
    (*control)->start();
  } else {
    logger.error("no control socket: mailoauth queue can only read the queue while the relay runs",
                 {{"error", control.error().describe()}});
  }
  // Listeners bound, recovery done, the scheduler started: ready. Then the
  // watchdog and STATUS= from this event loop (relay/service_status).
  if (auto sent = notifier->ready(); !sent) {
    logger.warn("could not tell the service manager we are ready",
                {{"error", sent.error().describe()}});
  }
  relay::ServiceStatus status(
      io.get_executor(), &*notifier,
      [&] {
        return fmt::format("queue: {} messages; sessions: {} in, {} out", scheduler.queue_size(),
                           (*server)->sessions(), scheduler.sessions());
      },
      &logger);
  status.start();
  // SIGHUP: the users file and the listeners' certificates are read again
  // (new sessions get them; open ones go on), and the routes and accounts
  // (reload_routes). Listeners need a restart.
  asio::signal_set hangup(io, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_hangup;
  on_hangup = [&](const boost::system::error_code& error, int) {
    if (error) return;
    (void)notifier->reloading();  // READY=1 again below, when the reload is done
    auto reread = read_users(config->users_file);
    if (reread) {
      logger.info("SIGHUP: relay users reloaded", {{"users", reread->size()}});
      (*server)->set_users(
          std::make_shared<const std::vector<relay::RelayUser>>(std::move(*reread)));
    } else {
      logger.error("SIGHUP: the users file could not be read; the old users stay",
                   {{"error", reread.error().describe()}});
    }
    for (const core::Error& failed : (*server)->reload_certificates()) {
      logger.error("SIGHUP: a certificate could not be reloaded; the old one stays",
                   {{"error", failed.describe()}});
    }
    reload_routes(global, options, *config, **server, scheduler, *tokens, logger, metrics);
    (void)notifier->ready();
    hangup.async_wait(on_hangup);
  };
  hangup.async_wait(on_hangup);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& error, int signal) {
    if (error) return;
    (void)notifier->stopping();  // the watchdog goes on pinging while sessions drain
    logger.info("stopping: no new sessions; transactions and deliveries in flight may finish",
                {{"signal", signal}, {"grace_seconds", config->limits.shutdown_grace.count()}});
    (*server)->stop_accepting();
    stopping = true;
    if (control) (*control)->stop();
    scheduler.stop();
    hangup.cancel();
    asio::co_spawn(io,
                   drain(server->get(), &scheduler, &io, config->limits.shutdown_grace, &logger),
                   asio::detached);
  });
  io.run();
  pool.join();
  delivery_pool.join();
  tokens->reset();  // before the io_context its awaiters belong to
  return core::kExitOk;
}

// --- check-config and users --------------------------------------------------

// "; rewrites From (to the account mailbox), MAIL FROM (to a@b); Reply-To keeps the original".
std::string rewrite_summary(const relay::SenderRewriteConfig& rewrite) {
  const auto target = [](const relay::RewriteTarget& to) {
    return to.address.empty() ? std::string("the account mailbox") : to.address;
  };
  std::string parts;
  if (rewrite.header_from.enabled) parts += "From (to " + target(rewrite.header_from) + ")";
  if (rewrite.envelope_from.enabled) {
    parts += (parts.empty() ? "" : ", ") + std::string("MAIL FROM (to ") +
             target(rewrite.envelope_from) + ")";
  }
  if (parts.empty()) return {};
  return "; rewrites " + parts +
         (rewrite.keep_original_in_reply_to ? "; Reply-To keeps the original" : "");
}

int check_config(const app::GlobalOptions& global, const Options& options) {
  auto config = load(options);
  if (!config) return report(config.error());
  fmt::print("{}: ok\n", options.config);
  fmt::print("spool: {}\nusers: {}\n", config->spool_directory.string(),
             config->users_file.string());
  if (config->metrics) {
    fmt::print("metrics: http://{}:{}/metrics, /healthz, /readyz\n",
               config->metrics->address.find(':') == std::string::npos
                   ? config->metrics->address
                   : "[" + config->metrics->address + "]",
               config->metrics->port);
  }
  for (const relay::ListenerConfig& listener : config->listeners) {
    if (listener.tls != delivery::TlsMode::None) {  // the certificate and key load and match
      auto tls = net::ReloadableTlsContext::load(
          net::ServerTlsSettings{listener.certificate, listener.key, listener.min_tls});
      if (!tls) {
        return report(std::move(tls.error().context(
            fmt::format("loading the certificate of listener \"{}\"", listener.name))));
      }
    }
    std::string clients;
    for (const auto& network : listener.clients) {
      clients += (clients.empty() ? "" : ", ") + network.text;
    }
    fmt::print("listener {}: {}:{} tls={} auth={} trusted clients: {}\n", listener.name,
               listener.address, listener.port, delivery::to_string(listener.tls),
               relay::to_string(listener.auth), clients.empty() ? "none" : clients);
  }
  std::optional<Result<std::shared_ptr<const oauth2::AccountsConfig>>> accounts;
  for (const relay::RouteConfig& route : config->routes) {
    fmt::print("route {}: account {} via {}{}{}", route.name, route.account,
               delivery::to_string(route.transport), rewrite_summary(route.rewrite),
               relay::describe_bounces(route, config->limits));
    if (route.transport == delivery::Transport::Graph) {  // what it will do, from the account
      if (!accounts) accounts = load_accounts(global, *config);
      fmt::print(": {}", *accounts ? relay::describe_graph_route(
                                         relay::resolve_graph_route(route, **accounts))
                                   : "cannot read the accounts: " + (*accounts).error().describe());
    } else if (route.transport == delivery::Transport::Auto) {
      if (!accounts) accounts = load_accounts(global, *config);
      fmt::print(": {}", *accounts ? relay::describe_auto_route(route, **accounts)
                                   : "cannot read the accounts: " + (*accounts).error().describe());
    }
    fmt::print("\n");
  }
  bool missing = false;
  auto users = read_users(config->users_file, &missing);
  if (!users) return report(users.error());
  fmt::print("relay users: {}{}\n", users->size(), missing ? " (no users file yet)" : "");
  return core::kExitOk;
}

// A password, not a file: at most kMaxPassword bytes are read, so a wrong
// redirection (a disk image on stdin) is refused instead of filling memory.
constexpr std::size_t kMaxPassword = 1024;

Result<core::Secret> password_from_stdin() {
  std::string text(kMaxPassword + 1, '\0');
  std::cin.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::cin.gcount()));
  if (text.size() > kMaxPassword) {
    core::secure_wipe(text.data(), text.size());
    return core::fail(ErrorClass::Config, "relay.password_too_long",
                      fmt::format("the password on stdin is longer than {} bytes", kMaxPassword),
                      "pipe in the password alone, not a file");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) {
    return core::fail(ErrorClass::Config, "relay.empty_password", "no password on stdin",
                      "pipe it in: printf '%s' \"$PASSWORD\" | mailoauth relay user add NAME");
  }
  return core::Secret::take(std::move(text));
}

int user_add(const Options& options) {
  auto config = load(options);
  if (!config) return report(config.error());
  if (!relay::is_valid_user_name(options.user)) {
    return report(core::Error(ErrorClass::Config, "relay.user_name",
                              "a user name is 1 to 64 letters, digits and ._@+-"));
  }
  for (const std::string& sender : options.senders) {
    if (!relay::is_valid_sender_pattern(sender)) {
      return report(core::Error(ErrorClass::Config, "relay.sender",
                                fmt::format("\"{}\" is not an address or a domain",
                                            core::escape_control_characters(sender))));
    }
  }
  auto users = read_users(config->users_file);
  if (!users) return report(users.error());
  auto password = password_from_stdin();
  if (!password) return report(password.error());
  auto hash = relay::hash_relay_password(*password);
  if (!hash) return report(hash.error());
  std::erase_if(*users, [&](const relay::RelayUser& user) { return user.name == options.user; });
  users->push_back({options.user, std::move(*hash), options.senders});
  if (auto written = write_users(config->users_file, *users); !written) {
    return report(written.error());
  }
  fmt::print("relay user {} saved in {}\n", options.user, config->users_file.string());
  return core::kExitOk;
}

int user_remove(const Options& options) {
  auto config = load(options);
  if (!config) return report(config.error());
  auto users = read_users(config->users_file);
  if (!users) return report(users.error());
  const auto removed = std::erase_if(
      *users, [&](const relay::RelayUser& user) { return user.name == options.user; });
  if (removed == 0) {
    return report(core::Error(
        ErrorClass::Config, "relay.no_user",
        fmt::format("no relay user \"{}\"", core::escape_control_characters(options.user))));
  }
  if (auto written = write_users(config->users_file, *users); !written) {
    return report(written.error());
  }
  fmt::print("relay user {} removed\n", options.user);
  return core::kExitOk;
}

int user_list(const Options& options) {
  auto config = load(options);
  if (!config) return report(config.error());
  auto users = read_users(config->users_file);
  if (!users) return report(users.error());
  for (const relay::RelayUser& user : *users) {
    std::string senders;
    for (const std::string& sender : user.senders) senders += (senders.empty() ? "" : ",") + sender;
    fmt::print("{}\t{}\n", user.name, senders.empty() ? "(any sender its routes allow)" : senders);
  }
  return core::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  core::harden_process(core::ProgramKind::Tool);
  CLI::App cli{"mailoauth relay - plain SMTP in, OAuth2 out (docs/relay.md)", "mailoauth"};
  app::GlobalOptions global;
  global.log_level = "info";
  app::add_global_options(cli, global, "log at debug level");
  cli.require_subcommand(1);
  auto* relay_command = cli.add_subcommand("relay", "the SMTP relay and its users");
  relay_command->require_subcommand(1);
  // --config and --users-file also after the command (`relay run --config F`).
  relay_command->fallthrough();
  Options options;
  relay_command->add_option("--config", options.config,
                            fmt::format("the relay's TOML config (default {})", kDefaultConfig));
  relay_command->add_option("--users-file", options.users_file,
                            "the relay users file (default: the config's users_file)");
  std::function<int()> action;
  auto* run_command = relay_command->add_subcommand(
      "run",
      "accept mail and deliver it upstream, in the foreground (for systemd: Type=notify, "
      "READY=1, STATUS=, WATCHDOG=1); SIGTERM stops accepting and lets transactions and "
      "deliveries in flight finish; SIGHUP reloads users, certificates, routes and accounts "
      "(listeners need a restart); a sender whose mail fails for good gets a delivery status "
      "notification (bounces, delay_warning_time: docs/relay.md); with [metrics] listen, serves "
      "/metrics, /healthz and /readyz");
  run_command->add_option("--log-format", options.log_format,
                          "logfmt (default) or json, one line per event on stderr");
  run_command->callback([&] { action = [&] { return run(global, options); }; });
  relay_command->add_subcommand("check-config", "load the config and say what it would do")
      ->callback([&] { action = [&] { return check_config(global, options); }; });
  auto* user_command = relay_command->add_subcommand("user", "the relay's own SMTP AUTH users");
  user_command->require_subcommand(1);
  auto* add = user_command->add_subcommand(
      "add", "add or replace a user; the password is read from stdin and stored as Argon2id");
  add->add_option("name", options.user, "user name")->required();
  add->add_option("--sender", options.senders,
                  "an address or domain this user may send as (repeatable; none: any)");
  add->callback([&] { action = [&] { return user_add(options); }; });
  auto* remove = user_command->add_subcommand("remove", "remove a user");
  remove->add_option("name", options.user, "user name")->required();
  remove->callback([&] { action = [&] { return user_remove(options); }; });
  user_command->add_subcommand("list", "the users and the senders they may use")->callback([&] {
    action = [&] { return user_list(options); };
  });
  if (const auto finished = app::parse_command_line(cli, argc, argv)) return *finished;
  return action ? action() : core::kExitUsage;
}
