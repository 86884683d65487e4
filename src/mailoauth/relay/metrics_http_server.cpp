// The metrics and health listener; see metrics_http_server.hpp. One
// coroutine accepts, one per connection reads a request with Beast's parser
// (limits set before the first byte), answers, and loops while the client
// keeps the connection alive; beast::tcp_stream's expiry is the per-request
// deadline (it covers every read and write until reset).
#include "mailoauth/relay/metrics_http_server.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <tuple>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/queue/spool.hpp"
#include "mailoauth/queue/spool_census.hpp"
#include "mailoauth/relay/on_pool.hpp"

namespace mailoauth::relay {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Tcp = asio::ip::tcp;
using Steady = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

struct Answer {
  http::status status = http::status::ok;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  bool allow_header = false;  // 405: Allow: GET, HEAD
};

Answer text_answer(http::status status, std::string body) {
  return Answer{status, "text/plain; charset=utf-8", std::move(body), false};
}

// The path of a request target, without its query ("/metrics?x" → "/metrics").
std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// Beast's parser refused the bytes (not: the peer closed, the deadline passed).
bool is_malformed(const boost::system::error_code& error) {
  return error && error.category() == make_error_code(http::error::end_of_stream).category() &&
         error != http::error::end_of_stream && error != http::error::partial_message;
}

}  // namespace

core::Result<void> probe_spool_writable(const std::filesystem::path& spool) {
  const std::filesystem::path probe =
      spool / queue::to_string(queue::Place::Incoming) / fmt::format(".readyz-{}", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::fail(core::ErrorClass::Temporary, "relay.spool_not_writable",
                      fmt::format("the spool is not writable: cannot create {}: {}", probe.string(),
                                  std::strerror(errno)),
                      "check the spool directory's owner, mode and free space");
  }
  const bool written = ::write(fd, "x", 1) == 1;
  const int saved = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!written) {
    return core::fail(core::ErrorClass::Temporary, "relay.spool_not_writable",
                      fmt::format("the spool is not writable: cannot write {}: {}", probe.string(),
                                  std::strerror(saved)),
                      "check the spool's free space");
  }
  return {};
}

struct MetricsServer::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  Tcp::acceptor acceptor;
  MetricsServerServices services;
  MetricsServerLimits limits;
  asio::thread_pool* pool;  // the census and the spool probe (MetricsServer's)
  std::size_t connections = 0;
  bool stopped = false;
  // The queue gauges: refreshed by at most one census at a time, at most every census_interval.
  bool census_running = false;
  std::optional<Steady::time_point> last_census;
  // The spool probe: one at a time; the others answer from the last result.
  bool probe_running = false;
  Steady::time_point probe_started{};
  std::optional<Steady::time_point> last_probe;
  std::optional<std::string> spool_problem;

  Impl(asio::any_io_executor executor_in, MetricsServerServices services_in,
       MetricsServerLimits limits_in, asio::thread_pool* pool_in)
      : executor(executor_in),
        acceptor(executor_in),
        services(std::move(services_in)),
        limits(limits_in),
        pool(pool_in) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(Tcp::socket socket);
  asio::awaitable<Answer> answer(std::string_view path);
  asio::awaitable<void> refresh_queue_gauges();
  asio::awaitable<std::optional<std::string>> spool_readiness();
};

asio::awaitable<void> MetricsServer::Impl::accept_loop() {
  auto self = shared_from_this();
  asio::steady_timer pause(executor);
  while (!stopped) {
    auto [error, socket] = co_await acceptor.async_accept(kUseTuple);
    if (stopped) break;
    if (error) {  // EMFILE and the like: wait instead of spinning
      services.logger->warn("metrics listener: accept failed", {{"error", error.message()}});
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    while (connections >= limits.max_connections && !stopped) {  // the rest wait in the backlog
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(kUseTuple);
    }
    ++connections;
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> MetricsServer::Impl::refresh_queue_gauges() {
  if (census_running || (last_census && Steady::now() - *last_census < limits.census_interval)) {
    co_return;
  }
  census_running = true;
  const std::filesystem::path* spool = &services.spool_directory;
  auto census = co_await on_pool(*pool, [spool] { return queue::take_spool_census(*spool); });
  census_running = false;
  last_census = Steady::now();
  if (!census) {
    services.logger->warn("metrics: the queue gauges could not be refreshed",
                          {{"error", census.error().describe()}});
    co_return;
  }
  services.metrics->set_queue(*census, std::chrono::system_clock::now());
}

asio::awaitable<std::optional<std::string>> MetricsServer::Impl::spool_readiness() {
  if (probe_running) {
    const auto waited =
        std::chrono::duration_cast<std::chrono::seconds>(Steady::now() - probe_started);
    if (waited >= std::chrono::seconds(5)) {
      co_return fmt::format("the spool probe has not finished for {} s (is the disk hung?)",
                            waited.count());
    }
    co_return spool_problem;
  }
  if (last_probe && Steady::now() - *last_probe < limits.probe_interval) co_return spool_problem;
  probe_running = true;
  probe_started = Steady::now();
  const std::filesystem::path* spool = &services.spool_directory;
  auto probed = co_await on_pool(*pool, [spool] { return probe_spool_writable(*spool); });
  probe_running = false;
  last_probe = Steady::now();
  if (probed) {
    spool_problem.reset();
  } else {
    spool_problem = probed.error().message();
  }
  co_return spool_problem;
}

asio::awaitable<Answer> MetricsServer::Impl::answer(std::string_view path) {
  if (path == "/metrics") {
    co_await refresh_queue_gauges();
    Answer metrics{http::status::ok, std::string(kExpositionContentType), services.metrics->text(),
                   false};
    co_return metrics;
  }
  if (path == "/healthz") co_return text_answer(http::status::ok, "ok\n");
  if (path == "/readyz") {
    std::optional<std::string> reason;
    if (services.not_ready) reason = services.not_ready();
    if (!reason) reason = co_await spool_readiness();
    if (reason) co_return text_answer(http::status::service_unavailable, *reason + "\n");
    co_return text_answer(http::status::ok, "ready\n");
  }
  co_return text_answer(http::status::not_found, "not found: /metrics, /healthz, /readyz\n");
}

asio::awaitable<void> MetricsServer::Impl::serve(Tcp::socket socket) {
  auto self = shared_from_this();
  beast::tcp_stream stream(std::move(socket));
  // At most the header limit plus the body limit is ever buffered.
  beast::flat_buffer buffer(limits.max_header_bytes + limits.max_body_bytes);
  for (unsigned served = 0; served < limits.max_requests_per_connection && !stopped; ++served) {
    stream.expires_after(limits.request_deadline);
    http::request_parser<http::string_body> parser;
    parser.header_limit(limits.max_header_bytes);
    parser.body_limit(limits.max_body_bytes);
    auto [read_error, read_bytes] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    (void)read_bytes;
    Answer answered;
    bool keep_alive = false;
    unsigned version = 11;
    bool head = false;
    if (read_error == http::error::header_limit || read_error == http::error::buffer_overflow) {
      answered = text_answer(http::status::request_header_fields_too_large,
                             "request line and headers are limited to 8 KiB\n");
    } else if (read_error == http::error::body_limit) {
      answered = text_answer(http::status::payload_too_large, "no request body is expected\n");
    } else if (is_malformed(read_error)) {
      answered = text_answer(http::status::bad_request, "malformed request\n");
    } else if (read_error) {
      break;  // closed, timed out, reset: nothing to answer
    } else {
      const auto& request = parser.get();
      keep_alive = request.keep_alive();
      version = request.version();
      head = request.method() == http::verb::head;
      if (request.method() != http::verb::get && !head) {
        answered = text_answer(http::status::method_not_allowed, "only GET and HEAD\n");
        answered.allow_header = true;
      } else {
        answered = co_await answer(path_of(request.target()));
      }
    }
    http::response<http::string_body> response{answered.status, version};
    response.set(http::field::server, "mailoauth-relay");
    response.set(http::field::content_type, answered.content_type);
    response.set(http::field::cache_control, "no-store");
    if (answered.allow_header) response.set(http::field::allow, "GET, HEAD");
    response.keep_alive(keep_alive);
    response.body() = std::move(answered.body);
    response.prepare_payload();
    boost::system::error_code write_error;
    if (head) {  // the headers as for GET, with its Content-Length, and no body
      http::response<http::empty_body> headers{response.base()};
      std::tie(write_error, std::ignore) = co_await http::async_write(stream, headers, kUseTuple);
    } else {
      std::tie(write_error, std::ignore) = co_await http::async_write(stream, response, kUseTuple);
    }
    if (write_error || !keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(Tcp::socket::shutdown_send, ignored);
  stream.close();
  --connections;
}

MetricsServer::MetricsServer(std::shared_ptr<Impl> impl, std::unique_ptr<asio::thread_pool> pool)
    : pool_(std::move(pool)), impl_(std::move(impl)) {}

// The pool is joined here, on the caller's thread (never on its own); a
// coroutine still waiting for its result finishes or is destroyed with the event loop.
MetricsServer::~MetricsServer() {
  stop();
  pool_->join();
}

core::Result<std::unique_ptr<MetricsServer>> MetricsServer::open(asio::any_io_executor executor,
                                                                 const MetricsListen& listen,
                                                                 MetricsServerServices services,
                                                                 MetricsServerLimits limits) {
  auto pool = std::make_unique<asio::thread_pool>(1);
  auto impl = std::make_shared<Impl>(executor, std::move(services), limits, pool.get());
  boost::system::error_code error;
  const auto address = asio::ip::make_address(listen.address, error);
  const Tcp::endpoint endpoint(address, listen.port);
  if (!error) impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(Tcp::acceptor::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(64, error);
  if (error) {
    return core::fail(core::ErrorClass::Config, "relay.metrics_listen",
                      fmt::format("cannot listen for metrics on {}:{}: {}", listen.address,
                                  listen.port, error.message()),
                      "choose a free address and port in [metrics] listen, or remove it");
  }
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl), std::move(pool)));
}

void MetricsServer::start() {
  const Tcp::endpoint bound = impl_->acceptor.local_endpoint();
  const std::string address =
      bound.address().is_v6() ? fmt::format("[{}]:{}", bound.address().to_string(), bound.port())
                              : fmt::format("{}:{}", bound.address().to_string(), bound.port());
  impl_->services.logger->info("metrics listening", {{"address", address}});
  asio::co_spawn(impl_->executor, impl_->accept_loop(), asio::detached);
}

void MetricsServer::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

std::uint16_t MetricsServer::port() const {
  boost::system::error_code ignored;
  return impl_->acceptor.local_endpoint(ignored).port();
}

}  // namespace mailoauth::relay
