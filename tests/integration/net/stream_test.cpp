// net::Stream against the real Dovecot of the stack (implicit TLS on its IMAPS
// port, STARTTLS on its IMAP port) and against local peers that misbehave on
// purpose: a closed port, a server that accepts and never answers, a server
// that sends bytes before the TLS handshake (STARTTLS injection). Every wait is
// bounded by the deadline under test, and each test checks that it was kept.
#include "mailoauth/net/stream.hpp"

#include <future>
#include <thread>

#include <arpa/inet.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../local_peer.hpp"
#include "../stack_env.hpp"

namespace mailoauth::net {
namespace {

using namespace std::chrono_literals;
using testing::StackEnv;

// Runs one coroutine to completion on its own io_context.
template <typename T>
T run(asio::awaitable<T> task) {
  asio::io_context context;
  auto future = asio::co_spawn(context, std::move(task), asio::use_future);
  context.run();
  return future.get();
}

std::uint16_t port_of(const char* key) {
  return static_cast<std::uint16_t>(std::stoi(StackEnv::get()[key]));
}

TlsSettings stack_tls() {
  TlsSettings settings;
  settings.ca_file = StackEnv::get()["CA_FILE"];
  return settings;
}

// Reads until `needle` appears (or an error / 5 s).
asio::awaitable<core::Result<std::string>> read_until(Stream& stream, std::string needle) {
  std::string seen;
  while (seen.find(needle) == std::string::npos) {
    auto chunk = co_await stream.read_some(4096, 5s);
    if (!chunk) co_return core::fail(chunk.error());
    seen += *chunk;
  }
  co_return seen;
}

TEST(StreamTest, ParsesCheckMailSpellings) {
  EXPECT_EQ(parse_net_type("tcp6").value(), NetType::Tcp6);
  EXPECT_EQ(parse_tls_version("tls13").value(), TlsVersion::Tls13);
  EXPECT_EQ(parse_net_type("udp").error().remedy(), "use auto, tcp4 or tcp6");
  EXPECT_FALSE(parse_tls_version("ssl3").has_value());
}

// The coroutines are free functions with by-value parameters: GCC 12
// mishandles immediately-invoked coroutine lambdas and temporaries inside
// `co_return co_await` (double frees seen here), so neither is used.
asio::awaitable<core::Result<std::string>> tls_greeting(std::uint16_t port, TlsSettings settings) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Auto, 5s);
  if (!stream) co_return core::fail(stream.error());
  auto handshake = co_await stream->start_tls(settings, 5s);
  if (!handshake) co_return core::fail(handshake.error());
  EXPECT_TRUE(stream->encrypted());
  auto certificate = stream->peer_certificate();
  EXPECT_TRUE(certificate.has_value());
  if (certificate) {
    EXPECT_TRUE(certificate->protocol == "TLSv1.3" || certificate->protocol == "TLSv1.2")
        << certificate->protocol;
    EXPECT_TRUE(certificate->not_after.has_value());
    EXPECT_NE(certificate->issuer.find("mailoauth test stack CA"), std::string::npos)
        << certificate->issuer;
  }
  std::string line_end = "\r\n";
  auto greeting = co_await read_until(*stream, line_end);
  co_return greeting;
}

TEST(StreamTest, ImplicitTlsWithTheStacksCa) {
  auto greeting = run(tls_greeting(port_of("IMAPS_PORT"), stack_tls()));
  ASSERT_TRUE(greeting.has_value()) << greeting.error().describe();
  EXPECT_TRUE(greeting->starts_with("* OK")) << *greeting;
}

TEST(StreamTest, UntrustedCertificateIsAConfigErrorNamingCaFile) {
  auto result = run(tls_greeting(port_of("IMAPS_PORT"), TlsSettings{}));  // system store only
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.certificate");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(result.error().remedy().find("CA file"), std::string::npos);
}

TEST(StreamTest, CertificateForAnotherNameIsRefused) {
  TlsSettings settings = stack_tls();
  settings.server_name = "imap.not-this-server.example";
  auto result = run(tls_greeting(port_of("IMAPS_PORT"), settings));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.certificate");
  EXPECT_NE(result.error().message().find("imap.not-this-server.example"), std::string::npos);
}

asio::awaitable<core::Result<std::string>> starttls_capabilities(std::uint16_t port) {
  auto stream = co_await Stream::connect("localhost", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  std::string line_end = "\r\n", ok_a = "a OK", ok_b = "b OK";
  auto greeting = co_await read_until(*stream, line_end);
  if (!greeting) co_return core::fail(greeting.error());
  auto sent = co_await stream->write("a STARTTLS\r\n", 5s);
  if (!sent) co_return core::fail(sent.error());
  auto answer = co_await read_until(*stream, ok_a);
  if (!answer) co_return core::fail(answer.error());
  auto handshake = co_await stream->start_tls(stack_tls(), 5s);
  if (!handshake) co_return core::fail(handshake.error());
  auto asked = co_await stream->write("b CAPABILITY\r\n", 5s);
  if (!asked) co_return core::fail(asked.error());
  auto capabilities = co_await read_until(*stream, ok_b);
  co_return capabilities;
}

TEST(StreamTest, StartTlsUpgradesInPlace) {
  auto capabilities = run(starttls_capabilities(port_of("IMAP_PORT")));
  ASSERT_TRUE(capabilities.has_value()) << capabilities.error().describe();
  EXPECT_NE(capabilities->find("AUTH=XOAUTH2"), std::string::npos) << *capabilities;
}

using Peer = testing::LocalPeer;

asio::awaitable<core::Result<std::string>> read_with_deadline(std::uint16_t port,
                                                              std::chrono::milliseconds wait) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Auto, 2s);
  if (!stream) co_return core::fail(stream.error());
  auto chunk = co_await stream->read_some(1024, wait);
  co_return chunk;
}

TEST(StreamTest, SilentServerTimesOutWithinTheDeadline) {
  std::promise<void> done;
  auto finished = done.get_future();
  Peer peer([&finished](int) { finished.wait_for(10s); });
  const auto started = std::chrono::steady_clock::now();
  auto result = run(read_with_deadline(peer.port(), 300ms));
  const auto waited = std::chrono::steady_clock::now() - started;
  done.set_value();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.timeout");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_LT(waited, 3s) << "the 300 ms deadline was not kept";
}

// co_spawn needs a default-constructible result, which Result<Stream> is not.
asio::awaitable<core::Result<void>> connect_only(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Auto, 2s);
  if (!stream) co_return core::fail(stream.error());
  co_return core::Result<void>();
}

TEST(StreamTest, ClosedPortIsATemporaryConnectError) {
  std::uint16_t port = 0;
  {
    Peer closing([](int) {});
    port = closing.port();
    ASSERT_TRUE(run(connect_only(port)).has_value());  // lets the peer's thread end
  }
  auto result = run(connect_only(port));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.connect");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Temporary);
}

asio::awaitable<core::Result<void>> tls_after_injection(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Auto, 2s);
  if (!stream) co_return core::fail(stream.error());
  auto first = co_await stream->read_some(16, 2s);  // "a OK Begin TLS\r\n"
  if (!first) co_return core::fail(first.error());
  asio::steady_timer wait(co_await asio::this_coro::executor, 200ms);  // the rest arrives
  co_await wait.async_wait(asio::use_awaitable);
  TlsSettings settings;
  auto handshake = co_await stream->start_tls(settings, 2s);
  co_return handshake;
}

TEST(StreamTest, BytesBeforeTheHandshakeAreRefused) {
  Peer peer([](int fd) {
    const std::string injected = "a OK Begin TLS\r\n* injected\r\n";
    (void)::send(fd, injected.data(), injected.size(), MSG_NOSIGNAL);
    std::this_thread::sleep_for(1s);
  });
  auto result = run(tls_after_injection(peer.port()));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.starttls_injection");
}

}  // namespace
}  // namespace mailoauth::net
