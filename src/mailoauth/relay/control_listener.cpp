// The relay's control socket; see control_listener.hpp for why and who may use it.
#include "mailoauth/relay/control_listener.hpp"

#include <chrono>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mailoauth/queue/control_protocol.hpp"
#include "mailoauth/relay/scheduler.hpp"

namespace mailoauth::relay {

namespace asio = boost::asio;
using Local = asio::local::stream_protocol;

namespace {

constexpr std::chrono::seconds kRequestDeadline{5};
constexpr std::size_t kMaxConnections = 8;

}  // namespace

struct ControlListener::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor executor;
  std::filesystem::path path;
  Local::acceptor acceptor;
  Scheduler* scheduler;
  core::Logger* logger;
  std::size_t connections = 0;
  bool stopped = false;

  Impl(asio::any_io_executor executor_in, std::filesystem::path path_in, Scheduler* scheduler_in,
       core::Logger* logger_in)
      : executor(executor_in),
        path(std::move(path_in)),
        acceptor(executor_in),
        scheduler(scheduler_in),
        logger(logger_in) {}

  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(Local::socket socket);
};

asio::awaitable<void> ControlListener::Impl::accept_loop() {
  auto self = shared_from_this();
  asio::steady_timer pause(executor);
  while (!stopped) {
    boost::system::error_code error;
    Local::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (stopped) break;
    if (error) {
      logger->warn("control socket: accept failed", {{"error", error.message()}});
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
      continue;
    }
    while (connections >= kMaxConnections && !stopped) {  // the rest wait in the backlog
      pause.expires_after(std::chrono::milliseconds(20));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
    }
    ++connections;
    asio::co_spawn(executor, serve(std::move(socket)), asio::detached);
  }
}

// One request line, one reply line. A watchdog closes a connection that does
// not send its line in time.
asio::awaitable<void> ControlListener::Impl::serve(Local::socket socket) {
  auto self = shared_from_this();
  asio::steady_timer watchdog(executor);
  watchdog.expires_after(kRequestDeadline);
  watchdog.async_wait([&socket](boost::system::error_code error) {
    if (!error) socket.close();
  });
  asio::streambuf buffer(queue::kMaxControlLine + 1);
  boost::system::error_code error;
  const std::size_t size = co_await asio::async_read_until(
      socket, buffer, '\n', asio::redirect_error(asio::use_awaitable, error));
  watchdog.cancel();
  core::Result<queue::ControlOutcome> reply = queue::ControlOutcome{};
  if (error) {
    reply = core::fail(core::ErrorClass::Config, "queue.control_request",
                       "no request line (at most 4096 bytes, ending in LF) within 5 s");
  } else {
    std::string line(asio::buffers_begin(buffer.data()),
                     asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(size) - 1);
    auto request = queue::parse_control_request(line);
    if (!request) {
      reply = core::fail(std::move(request.error()));
    } else {
      reply = co_await scheduler->control(std::move(*request));
    }
  }
  if (socket.is_open()) {
    const std::string text = queue::encode_control_reply(reply);
    watchdog.expires_after(kRequestDeadline);
    watchdog.async_wait([&socket](boost::system::error_code timer_error) {
      if (!timer_error) socket.close();
    });
    co_await asio::async_write(socket, asio::buffer(text),
                               asio::redirect_error(asio::use_awaitable, error));
    watchdog.cancel();
  }
  if (!reply) {
    logger->info("queue command refused",
                 {{"code", reply.error().code()}, {"error", reply.error().describe()}});
  }
  boost::system::error_code ignored;
  socket.close(ignored);
  --connections;
}

ControlListener::ControlListener(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlListener::~ControlListener() {
  stop();
}

core::Result<std::unique_ptr<ControlListener>> ControlListener::open(asio::any_io_executor executor,
                                                                     std::filesystem::path path,
                                                                     Scheduler* scheduler,
                                                                     core::Logger* logger) {
  if (path.native().size() >= sizeof(sockaddr_un::sun_path)) {
    return core::fail(
        core::ErrorClass::Config, "relay.control_path",
        fmt::format("the control socket path {} is longer than {} bytes", path.string(),
                    sizeof(sockaddr_un::sun_path) - 1),
        "choose a shorter spool_directory to use mailoauth queue while the relay runs");
  }
  auto impl = std::make_shared<Impl>(executor, path, scheduler, logger);
  ::unlink(path.c_str());  // stale: the caller holds the spool lock
  boost::system::error_code error;
  impl->acceptor.open(Local(), error);
  if (!error) impl->acceptor.bind(Local::endpoint(path.native()), error);
  if (!error) {
    ::chmod(path.c_str(), 0600);
    impl->acceptor.listen(16, error);
  }
  if (error) {
    return core::fail(core::ErrorClass::Config, "relay.control_socket",
                      fmt::format("cannot listen on {}: {}", path.string(), error.message()),
                      "check the spool directory's owner and mode");
  }
  return std::unique_ptr<ControlListener>(new ControlListener(std::move(impl)));
}

void ControlListener::start() {
  asio::co_spawn(impl_->executor, impl_->accept_loop(), asio::detached);
}

void ControlListener::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  ::unlink(impl_->path.c_str());
}

}  // namespace mailoauth::relay
