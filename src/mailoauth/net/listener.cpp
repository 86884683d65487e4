// Listener on an Asio acceptor. An accepted socket is handed to
// Stream::adopt(), so the server-side stream is made in one place whether
// the socket came from here or from elsewhere.
#include "mailoauth/net/listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

namespace mailoauth::net {

namespace {

using core::ErrorClass;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

struct Listener::Impl {
  explicit Impl(asio::any_io_executor executor) : acceptor(executor) {}
  tcp::acceptor acceptor;
  std::uint16_t port = 0;
  std::string local;
  bool closed = false;
};

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Listener::Listener(Listener&&) noexcept = default;
Listener& Listener::operator=(Listener&&) noexcept = default;
Listener::~Listener() = default;

core::Result<Listener> Listener::open(asio::any_io_executor executor, std::string address,
                                      std::uint16_t port, int backlog) {
  boost::system::error_code error;
  const auto ip = asio::ip::make_address(address, error);
  if (error) {
    return core::fail(ErrorClass::Config, "net.bad_listen_address",
                      fmt::format("\"{}\" is not an IP address to listen on", address),
                      "give an IPv4 or IPv6 literal, e.g. 127.0.0.1 or ::");
  }
  auto impl = std::make_unique<Impl>(executor);
  const tcp::endpoint endpoint(ip, port);
  const std::string where =
      ip.is_v6() ? fmt::format("[{}]:{}", address, port) : fmt::format("{}:{}", address, port);
  impl->acceptor.open(endpoint.protocol(), error);
  if (!error) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) impl->acceptor.bind(endpoint, error);
  if (!error) impl->acceptor.listen(backlog, error);
  if (error) {
    return core::fail(ErrorClass::Config, "net.listen",
                      fmt::format("cannot listen on {}: {}", where, error.message()),
                      error == asio::error::address_in_use
                          ? "another program listens there; stop it or choose another port"
                          : "check the address (it must be one of this host's) and, below "
                            "port 1024, the privilege to bind it");
  }
  const auto bound = impl->acceptor.local_endpoint(error);
  impl->port = error ? port : bound.port();
  impl->local = ip.is_v6() ? fmt::format("[{}]:{}", address, impl->port)
                           : fmt::format("{}:{}", address, impl->port);
  return Listener(std::move(impl));
}

std::uint16_t Listener::port() const {
  return impl_->port;
}

const std::string& Listener::local() const {
  return impl_->local;
}

asio::awaitable<core::Result<Stream>> Listener::accept() {
  Impl& impl = *impl_;
  if (impl.closed) {
    co_return core::fail(ErrorClass::Temporary, "net.cancelled",
                         fmt::format("the listener on {} is closed", impl.local));
  }
  auto [error, socket] = co_await impl.acceptor.async_accept(kTuple);
  if (impl.closed || error == asio::error::operation_aborted) {
    co_return core::fail(ErrorClass::Temporary, "net.cancelled",
                         fmt::format("the listener on {} was closed", impl.local));
  }
  if (error) {
    co_return core::fail(ErrorClass::Temporary, "net.accept",
                         fmt::format("accepting on {}: {}", impl.local, error.message()),
                         "too many open files? check the process's descriptor limit");
  }
  auto stream = Stream::adopt(impl.acceptor.get_executor(), socket.release());
  co_return stream;
}

asio::awaitable<core::Result<Stream>> Listener::accept_tls(
    std::shared_ptr<const TlsContext> context, std::chrono::milliseconds handshake_timeout) {
  auto stream = co_await accept();
  if (!stream) co_return core::fail(stream.error());
  auto handshake = co_await stream->start_tls(std::move(context), handshake_timeout, 0);
  if (!handshake) {
    stream->close();
    co_return core::fail(handshake.error());
  }
  Stream accepted = std::move(*stream);
  co_return accepted;
}

void Listener::close() {
  impl_->closed = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
}

}  // namespace mailoauth::net
