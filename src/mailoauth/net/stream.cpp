// Asio + OpenSSL behind Stream. Deadlines are a steady_timer raced against
// the operation with awaitable operators (`op || timer`): whichever finishes
// first wins and the other is cancelled. Errors are classified where they
// arise: DNS, refused, reset and timeouts are Temporary; an untrusted or
// mismatching certificate, a TLS version below the minimum, or a bad CA file
// are Config (an admin must act). Cancellation is a flag plus
// socket.cancel(): the pending operation completes with operation_aborted,
// which the flag turns into `net.cancelled`. interrupt() is the same for one
// read, with a flag that the read clears (`net.interrupted`).
#include "mailoauth/net/stream.hpp"

#include <utility>
#include <variant>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::net {

namespace {

using core::ErrorClass;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

core::Error timed_out(std::string_view what, std::string_view peer,
                      std::chrono::milliseconds timeout) {
  return core::Error(
      ErrorClass::Temporary, "net.timeout",
      fmt::format("{} {} did not complete within {} ms", what, peer, timeout.count()),
      "the server or the network is slow or blocking; try again, or raise the "
      "timeout");
}

core::Error network_error(std::string_view what, std::string_view peer,
                          const boost::system::error_code& error) {
  return core::Error(ErrorClass::Temporary, "net.io",
                     fmt::format("{} {}: {}", what, peer, error.message()));
}

bool is_ip_literal(std::string_view host) {
  boost::system::error_code error;
  asio::ip::make_address(std::string(host), error);
  return !error;
}

std::string name_of(X509_NAME* name) {
  if (name == nullptr) return {};
  char buffer[512];
  X509_NAME_oneline(name, buffer, sizeof buffer);
  return core::escape_control_characters(buffer);
}

// First byte of a TLS record carrying a handshake message (RFC 8446 5.1).
constexpr unsigned char kTlsHandshakeRecord = 0x16;

core::Error cancelled_error(std::string_view peer, std::string_view reason) {
  return core::Error(ErrorClass::Temporary, "net.cancelled",
                     fmt::format("the connection with {} was stopped: {}", peer, reason));
}

core::Error injection_error(std::string_view peer, bool server_side) {
  if (server_side) {
    return core::Error(ErrorClass::Permanent, "net.starttls_injection",
                       fmt::format("client {} sent more after its STARTTLS command; refusing "
                                   "the TLS upgrade (possible STARTTLS command injection)",
                                   peer),
                       "a client must wait for the answer to STARTTLS before it sends more");
  }
  return core::Error(ErrorClass::Permanent, "net.starttls_injection",
                     fmt::format("{} sent data before the TLS handshake; refusing to go on "
                                 "(possible STARTTLS command injection)",
                                 peer),
                     "report it to the server's operator; nothing was sent");
}

}  // namespace

struct Stream::Impl {
  explicit Impl(tcp::socket s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;
  std::string host;
  std::string peer;
  bool server_side = false;
  bool cancelled = false;
  std::string cancel_reason;
  bool interrupted = false;  // interrupt(): the next (or pending) read_some ends
  std::string interrupt_reason;

  // Bytes waiting in the socket before the handshake: none on the client
  // side (the server speaks after our hello); on the server side only a TLS
  // record (the client's hello), never plaintext.
  bool plaintext_waiting() {
    boost::system::error_code error;
    if (socket.available(error) == 0 || error) return false;
    if (!server_side) return true;
    unsigned char first = 0;
    const ssize_t peeked = ::recv(socket.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT);
    return peeked == 1 && first != kTlsHandshakeRecord;
  }
};

namespace {

std::string address_text(const tcp::endpoint& endpoint) {
  return endpoint.address().is_v6()
             ? fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port())
             : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

Stream::Stream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

core::Result<Stream> Stream::adopt(asio::any_io_executor executor, int native_socket) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(native_socket, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      (address.ss_family != AF_INET && address.ss_family != AF_INET6)) {
    ::close(native_socket);
    return core::fail(ErrorClass::Bug, "net.adopt", "the descriptor is not a TCP socket");
  }
  boost::system::error_code error;
  tcp::socket socket(executor);
  socket.assign(address.ss_family == AF_INET ? tcp::v4() : tcp::v6(), native_socket, error);
  if (error) {
    ::close(native_socket);
    return core::fail(network_error("adopting a socket", "", error));
  }
  auto impl = std::make_unique<Impl>(std::move(socket));
  impl->server_side = true;
  const auto remote = impl->socket.remote_endpoint(error);
  impl->peer = error ? std::string("a client") : address_text(remote);
  impl->socket.set_option(tcp::no_delay(true), error);
  return Stream(std::move(impl));
}

asio::awaitable<core::Result<Stream>> Stream::connect(std::string host, std::uint16_t port,
                                                      NetType net_type,
                                                      std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  const std::string peer = fmt::format("{}:{}", host, port);
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, timeout);
  const auto resolve_flags = tcp::resolver::numeric_service;
  auto resolved =
      co_await (resolver.async_resolve(host, std::to_string(port), resolve_flags, kTuple) ||
                timer.async_wait(kTuple));
  if (resolved.index() == 1) co_return core::fail(timed_out("resolving", peer, timeout));
  auto [resolve_error, results] = std::get<0>(std::move(resolved));
  if (resolve_error) {
    co_return core::fail(ErrorClass::Temporary, "net.dns",
                         fmt::format("cannot resolve {}: {}", host, resolve_error.message()),
                         "check the server name and the DNS");
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) {
    const auto endpoint = entry.endpoint();
    if (net_type == NetType::Tcp4 && !endpoint.address().is_v4()) continue;
    if (net_type == NetType::Tcp6 && !endpoint.address().is_v6()) continue;
    endpoints.push_back(endpoint);
  }
  if (endpoints.empty()) {
    co_return core::fail(
        ErrorClass::Config, "net.no_address",
        fmt::format("{} has no {} address", host, net_type == NetType::Tcp4 ? "IPv4" : "IPv6"),
        "allow both address families (net type auto), or use the other one");
  }
  std::string failures;
  for (const auto& endpoint : endpoints) {
    tcp::socket socket(executor);
    auto connected = co_await (socket.async_connect(endpoint, kTuple) || timer.async_wait(kTuple));
    if (connected.index() == 1) co_return core::fail(timed_out("connecting to", peer, timeout));
    auto [connect_error] = std::get<0>(connected);
    if (!connect_error) {
      auto impl = std::make_unique<Impl>(std::move(socket));
      impl->host = host;
      impl->peer = address_text(endpoint);
      impl->socket.set_option(tcp::no_delay(true));
      co_return Stream(std::move(impl));
    }
    if (!failures.empty()) failures += "; ";
    failures += fmt::format("{}: {}", endpoint.address().to_string(), connect_error.message());
  }
  co_return core::fail(ErrorClass::Temporary, "net.connect",
                       fmt::format("cannot connect to {} ({})", peer, failures),
                       "check the server name, the port and any firewall in between");
}

asio::awaitable<core::Result<void>> Stream::start_tls(TlsSettings settings,
                                                      std::chrono::milliseconds timeout) {
  auto context = TlsContext::client(std::move(settings));
  if (!context) co_return core::fail(context.error());
  auto result = co_await start_tls(std::move(*context), timeout, 0);
  co_return result;
}

namespace {

// The client's side of the handshake: the name checked and sent as SNI.
void prepare_client(SSL* ssl, const TlsSettings& settings, const std::string& name) {
  if (settings.verify) {
    X509_VERIFY_PARAM* parameters = SSL_get0_param(ssl);
    if (is_ip_literal(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(parameters, name.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(parameters, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(parameters, name.c_str(), name.size());
    }
  }
  if (!is_ip_literal(name)) {  // SNI; SSL_set_tlsext_host_name is a macro with a C cast
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(name.c_str()));
  }
}

core::Error client_handshake_error(SSL* ssl, const TlsSettings& settings, const std::string& name,
                                   const std::string& peer,
                                   const boost::system::error_code& error) {
  const long verdict = SSL_get_verify_result(ssl);
  if (settings.verify && verdict != X509_V_OK) {
    return core::Error(
        ErrorClass::Config, "net.certificate",
        fmt::format("the certificate of {} ({}) is not trusted: {}", name, peer,
                    X509_verify_cert_error_string(verdict)),
        settings.ca_file.empty()
            ? "if the server uses a private CA, name its certificate as the CA file (an account's "
              "ca_file); otherwise check the server name and the server's certificate chain"
            : "check that the CA file holds the CA that signed the server's certificate and "
              "that the server name matches it");
  }
  return core::Error(ErrorClass::Config, "net.tls",
                     fmt::format("TLS with {} failed: {}", peer, error.message()),
                     fmt::format("the server may not offer TLS {} or newer, or not TLS on "
                                 "this port (implicit TLS is 993/465, STARTTLS 143/587)",
                                 to_string(settings.minimum).substr(3)));
}

// What a failed server-side handshake most likely means, from OpenSSL's
// reason: the client refused our certificate (its alert) or did not speak
// TLS at all; anything else (versions or ciphers below this listener's
// minimum, most often) keeps the version advice.
enum class HandshakeCause { ClientRefusedCertificate, NotTls, Other };

HandshakeCause server_handshake_cause(const boost::system::error_code& error) {
  if (error.category() != asio::error::get_ssl_category()) return HandshakeCause::Other;
  switch (ERR_GET_REASON(static_cast<unsigned long>(error.value()))) {
    case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_UNKNOWN:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
    case SSL_R_SSLV3_ALERT_CERTIFICATE_REVOKED:
    case SSL_R_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE:
    case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
    case SSL_R_TLSV1_ALERT_DECRYPT_ERROR:
      return HandshakeCause::ClientRefusedCertificate;
    case SSL_R_WRONG_VERSION_NUMBER:
    case SSL_R_HTTP_REQUEST:
    case SSL_R_PACKET_LENGTH_TOO_LONG:
    case SSL_R_RECORD_LENGTH_MISMATCH:
      return HandshakeCause::NotTls;
    default:
      return HandshakeCause::Other;
  }
}

core::Error server_handshake_error(const TlsContext& context, const std::string& peer,
                                   const boost::system::error_code& error) {
  std::string remedy;
  switch (server_handshake_cause(error)) {
    case HandshakeCause::ClientRefusedCertificate:
      remedy =
          "the client refused this listener's certificate: give the listener a certificate "
          "the device trusts (issued for the name it connects to, not expired, with its "
          "chain), or add the listener's CA to the device's trusted certificates";
      break;
    case HandshakeCause::NotTls:
      remedy =
          "the client did not speak TLS: a device sending plain SMTP to an implicit-TLS "
          "listener needs a listener with tls = \"starttls\" or \"none\"";
      break;
    case HandshakeCause::Other:
      remedy = context.minimum() > TlsVersion::Tls10
                   ? fmt::format(
                         "the client may speak only TLS versions below {} or no TLS at all; "
                         "if an old device needs TLS 1.0, lower this listener's minimum",
                         to_string(context.minimum()))
                   : "the client may not speak TLS on this port";
      break;
  }
  return core::Error(ErrorClass::Permanent, "net.tls",
                     fmt::format("TLS with client {} failed: {}", peer, error.message()),
                     std::move(remedy));
}

}  // namespace

asio::awaitable<core::Result<void>> Stream::start_tls(std::shared_ptr<const TlsContext> context,
                                                      std::chrono::milliseconds timeout,
                                                      std::size_t unconsumed_bytes) {
  Impl& impl = *impl_;
  if (impl.cancelled) co_return core::fail(cancelled_error(impl.peer, impl.cancel_reason));
  if (impl.tls) co_return core::fail(ErrorClass::Bug, "net.tls_twice", "TLS is already on");
  const bool as_server = context->role() == TlsRole::Server;
  if (as_server != impl.server_side) {
    co_return core::fail(ErrorClass::Bug, "net.tls_role",
                         as_server ? "a server TLS context on a connection we opened"
                                   : "a client TLS context on an accepted connection");
  }
  if (unconsumed_bytes > 0 || impl.plaintext_waiting()) {
    co_return core::fail(injection_error(impl.peer, impl.server_side));
  }
  SSL* ssl = SSL_new(context->native_handle());  // takes its own reference to the context
  if (ssl == nullptr) {
    co_return core::fail(ErrorClass::Bug, "net.tls_context", "SSL_new failed");
  }
  impl.tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(impl.socket, ssl);
  const TlsSettings& settings = context->client_settings();
  const std::string name = settings.server_name.empty() ? impl.host : settings.server_name;
  if (!as_server) prepare_client(ssl, settings, name);

  asio::steady_timer timer(impl.socket.get_executor(), timeout);
  const auto side = as_server ? asio::ssl::stream_base::server : asio::ssl::stream_base::client;
  auto shaken = co_await (impl.tls->async_handshake(side, kTuple) || timer.async_wait(kTuple));
  if (shaken.index() == 1) {
    co_return core::fail(timed_out("TLS handshake with", impl.peer, timeout));
  }
  auto [handshake_error] = std::get<0>(shaken);
  if (impl.cancelled) co_return core::fail(cancelled_error(impl.peer, impl.cancel_reason));
  if (handshake_error) {
    co_return core::fail(
        as_server ? server_handshake_error(*context, impl.peer, handshake_error)
                  : client_handshake_error(ssl, settings, name, impl.peer, handshake_error));
  }
  co_return core::Result<void>();
}

asio::awaitable<core::Result<std::string>> Stream::read_some(std::size_t max,
                                                             std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (impl.cancelled) co_return core::fail(cancelled_error(impl.peer, impl.cancel_reason));
  const auto interrupted = [&impl] {
    impl.interrupted = false;
    return core::Error(ErrorClass::Temporary, "net.interrupted",
                       fmt::format("reading from {} was interrupted: {}", impl.peer,
                                   std::exchange(impl.interrupt_reason, {})));
  };
  if (impl.interrupted) co_return core::fail(interrupted());
  // Not zero-filled, so the pages of a 64 KiB buffer that no byte reaches
  // stay out of the RSS (bench/relay.sh: 1,000 idle relay sessions 89 -> 30
  // MB). The operation returns `max`, not its size argument: g++ 12's
  // libstdc++ passes the grown capacity there (16 asked, 30 given).
  std::string buffer;
  buffer.resize_and_overwrite(max, [max](char*, std::size_t) { return max; });
  asio::steady_timer timer(impl.socket.get_executor(), timeout);
  std::variant<std::tuple<boost::system::error_code, std::size_t>,
               std::tuple<boost::system::error_code>>
      outcome;
  if (impl.tls) {
    outcome = co_await (impl.tls->async_read_some(asio::buffer(buffer), kTuple) ||
                        timer.async_wait(kTuple));
  } else {
    outcome = co_await (impl.socket.async_read_some(asio::buffer(buffer), kTuple) ||
                        timer.async_wait(kTuple));
  }
  if (outcome.index() == 1) co_return core::fail(timed_out("waiting for", impl.peer, timeout));
  auto [error, count] = std::get<0>(outcome);
  if (impl.cancelled) co_return core::fail(cancelled_error(impl.peer, impl.cancel_reason));
  if (impl.interrupted && error) {  // operation_aborted, through TLS too
    co_return core::fail(interrupted());
  }
  if (error == asio::error::eof || error == asio::ssl::error::stream_truncated) {
    co_return core::fail(ErrorClass::Temporary, "net.closed",
                         fmt::format("{} closed the connection", impl.peer));
  }
  if (error) co_return core::fail(network_error("reading from", impl.peer, error));
  buffer.resize(count);
  co_return buffer;
}

asio::awaitable<core::Result<void>> Stream::write(std::string_view bytes,
                                                  std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (impl.cancelled) co_return core::fail(cancelled_error(impl.peer, impl.cancel_reason));
  asio::steady_timer timer(impl.socket.get_executor(), timeout);
  std::variant<std::tuple<boost::system::error_code, std::size_t>,
               std::tuple<boost::system::error_code>>
      outcome;
  if (impl.tls) {
    outcome = co_await (asio::async_write(*impl.tls, asio::buffer(bytes), kTuple) ||
                        timer.async_wait(kTuple));
  } else {
    outcome = co_await (asio::async_write(impl.socket, asio::buffer(bytes), kTuple) ||
                        timer.async_wait(kTuple));
  }
  if (outcome.index() == 1) co_return core::fail(timed_out("sending to", impl.peer, timeout));
  auto [error, count] = std::get<0>(outcome);
  (void)count;
  if (impl.cancelled) co_return core::fail(cancelled_error(impl.peer, impl.cancel_reason));
  if (error) co_return core::fail(network_error("sending to", impl.peer, error));
  co_return core::Result<void>();
}

void Stream::interrupt(std::string reason) {
  impl_->interrupted = true;
  impl_->interrupt_reason = std::move(reason);
  boost::system::error_code ignored;
  impl_->socket.cancel(ignored);
}

void Stream::cancel(std::string reason) {
  impl_->cancelled = true;
  impl_->cancel_reason = std::move(reason);
  boost::system::error_code ignored;
  impl_->socket.cancel(ignored);
}

bool Stream::cancelled() const {
  return impl_->cancelled;
}

bool Stream::encrypted() const {
  return impl_->tls != nullptr;
}

bool Stream::server_side() const {
  return impl_->server_side;
}

std::optional<PeerCertificate> Stream::peer_certificate() const {
  if (!impl_->tls) return std::nullopt;
  SSL* ssl = impl_->tls->native_handle();
  PeerCertificate info;
  info.protocol = SSL_get_version(ssl);
  info.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
  X509* certificate = SSL_get1_peer_certificate(ssl);
  if (certificate != nullptr) {
    info.subject = name_of(X509_get_subject_name(certificate));
    info.issuer = name_of(X509_get_issuer_name(certificate));
    std::tm expiry{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &expiry) == 1) {
      info.not_after = core::Clock::WallTime(std::chrono::seconds(timegm(&expiry)));
    }
    X509_free(certificate);
  }
  return info;
}

const std::string& Stream::peer() const {
  return impl_->peer;
}

void Stream::close() {
  boost::system::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

}  // namespace mailoauth::net
