// net::Stream on the server side (Listener, adopt, start_tls as server) and
// the shared TLS contexts, with our own client streams and with real peers
// (openssl s_client, swaks) talking to it on 127.0.0.1: a plain exchange,
// STARTTLS in both directions, implicit TLS, a client that pipelines after
// STARTTLS (CVE-2011-0411) refused, a certificate reload seen by new
// connections while an open one goes on, TLS 1.0 refused by default and
// allowed when configured, and cancellation of a read waiting on a silent
// peer, of a server handshake and of a pending accept. A CA and two server
// certificates are made for the run by make_test_certificates.sh. Every
// wait is bounded: by the streams' own deadlines, io_context::run_for, and
// `timeout` around the peer programs.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "mailoauth/net/listener.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/net/tls_context.hpp"

namespace mailoauth::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The run's certificates (made once for the whole suite).
class Certificates {
 public:
  static const Certificates& get() {
    static const Certificates certificates;
    return certificates;
  }
  std::string file(const std::string& name) const { return (directory_ / name).string(); }
  ServerTlsSettings server(const std::string& name) const {
    ServerTlsSettings settings;
    settings.certificate_file = file(name + ".crt");
    settings.key_file = file(name + ".key");
    return settings;
  }
  // Copies `name`'s certificate and key over the files a context reads.
  void install(const std::string& name, const std::string& certificate_file,
               const std::string& key_file) const {
    const auto overwrite = std::filesystem::copy_options::overwrite_existing;
    std::filesystem::copy_file(file(name + ".crt"), certificate_file, overwrite);
    std::filesystem::copy_file(file(name + ".key"), key_file, overwrite);
  }
  TlsSettings client() const {
    TlsSettings settings;
    settings.ca_file = file("ca.crt");
    return settings;
  }

 private:
  Certificates() {
    char pattern[] = "/tmp/mailoauth-net-test-XXXXXX";
    directory_ = ::mkdtemp(pattern);
    const std::string command = std::string(MAILOAUTH_SOURCE_DIR) +
                                "/tests/integration/net/make_test_certificates.sh " +
                                directory_.string() + " >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("could not make certificates");
  }
  ~Certificates() { std::filesystem::remove_all(directory_); }
  std::filesystem::path directory_;
};

std::shared_ptr<const TlsContext> server_context(const std::string& name,
                                                 TlsVersion minimum = TlsVersion::Tls12) {
  ServerTlsSettings settings = Certificates::get().server(name);
  settings.minimum = minimum;
  auto context = TlsContext::server(settings);
  if (!context) throw std::runtime_error(context.error().describe());
  return *context;
}

Listener open_listener(asio::io_context& io) {
  auto listener = Listener::open(io.get_executor(), "127.0.0.1", 0);
  if (!listener) throw std::runtime_error(listener.error().describe());
  return std::move(*listener);
}

// Lines over a Stream; what was read beyond the last line stays in `buffer`.
struct Lines {
  Stream* stream;
  std::string buffer;
};

asio::awaitable<core::Result<std::string>> read_line(Lines* lines) {
  for (;;) {
    const auto end = lines->buffer.find("\r\n");
    if (end != std::string::npos) {
      std::string line = lines->buffer.substr(0, end);
      lines->buffer.erase(0, end + 2);
      co_return line;
    }
    auto chunk = co_await lines->stream->read_some(4096, 5s);
    if (!chunk) co_return core::fail(chunk.error());
    lines->buffer += *chunk;
  }
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(asio::use_awaitable);
}

using Task = asio::awaitable<core::Result<std::string>>;

core::Result<std::string> unfinished() {
  return core::fail(core::ErrorClass::Bug, "test.unfinished", "the task did not end in 15 s");
}

// Runs a server task and a client task on `io` (at most 15 s); their outcomes.
std::pair<core::Result<std::string>, core::Result<std::string>> run_pair(asio::io_context& io,
                                                                         Task server, Task client) {
  auto served = asio::co_spawn(io, std::move(server), asio::use_future);
  auto asked = asio::co_spawn(io, std::move(client), asio::use_future);
  io.run_for(15s);
  const auto ready = std::future_status::ready;
  return {served.wait_for(0s) == ready ? served.get() : unfinished(),
          asked.wait_for(0s) == ready ? asked.get() : unfinished()};
}

// ---- plain ---------------------------------------------------------------

asio::awaitable<core::Result<std::string>> echo_one_line(Listener listener) {
  auto stream = co_await listener.accept();
  if (!stream) co_return core::fail(stream.error());
  EXPECT_TRUE(stream->server_side());
  EXPECT_TRUE(stream->peer().starts_with("127.0.0.1:")) << stream->peer();
  auto hello = co_await stream->write("hello\r\n", 5s);
  if (!hello) co_return core::fail(hello.error());
  Lines lines{&*stream, {}};
  auto line = co_await read_line(&lines);
  if (!line) co_return core::fail(line.error());
  std::string answer = "echo " + *line + "\r\n";
  auto written = co_await stream->write(answer, 5s);
  if (!written) co_return core::fail(written.error());
  co_return *line;
}

asio::awaitable<core::Result<std::string>> say_ping(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  Lines lines{&*stream, {}};
  auto hello = co_await read_line(&lines);
  if (!hello) co_return core::fail(hello.error());
  auto sent = co_await stream->write("ping\r\n", 5s);
  if (!sent) co_return core::fail(sent.error());
  auto answer = co_await read_line(&lines);
  co_return answer;
}

TEST(ServerStreamTest, PlainConversationOverAnAcceptedSocket) {
  asio::io_context io;
  Listener listener = open_listener(io);
  EXPECT_NE(listener.port(), 0);
  const std::uint16_t port = listener.port();
  auto [heard, answer] = run_pair(io, echo_one_line(std::move(listener)), say_ping(port));
  ASSERT_TRUE(heard.has_value()) << heard.error().describe();
  ASSERT_TRUE(answer.has_value()) << answer.error().describe();
  EXPECT_EQ(*heard, "ping");
  EXPECT_EQ(*answer, "echo ping");
}

// ---- STARTTLS, both directions ---------------------------------------------

// An SMTP-like server: greeting, STARTTLS (after `delay`, so the client's
// hello is already waiting in the socket), then one line over TLS.
asio::awaitable<core::Result<std::string>> starttls_server(
    Listener listener, std::shared_ptr<const TlsContext> context, std::chrono::milliseconds delay) {
  auto stream = co_await listener.accept();
  if (!stream) co_return core::fail(stream.error());
  auto greeting = co_await stream->write("220 ready\r\n", 5s);
  if (!greeting) co_return core::fail(greeting.error());
  Lines lines{&*stream, {}};
  auto command = co_await read_line(&lines);
  if (!command) co_return core::fail(command.error());
  if (*command != "STARTTLS") co_return core::fail(core::ErrorClass::Bug, "test", *command);
  auto go = co_await stream->write("220 go ahead\r\n", 5s);
  if (!go) co_return core::fail(go.error());
  co_await sleep_for(delay);
  auto tls = co_await stream->start_tls(context, 5s, lines.buffer.size());
  if (!tls) co_return core::fail(tls.error());
  EXPECT_TRUE(stream->encrypted());
  auto line = co_await read_line(&lines);
  if (!line) co_return core::fail(line.error());
  auto answer = co_await stream->write("250 " + *line + " over TLS\r\n", 5s);
  if (!answer) co_return core::fail(answer.error());
  co_return *line;
}

// `after_starttls` goes with the STARTTLS line, or `separately` 100 ms later
// (while the server waits before its handshake: then it is still in the socket).
asio::awaitable<core::Result<std::string>> starttls_client(std::uint16_t port,
                                                           std::string after_starttls,
                                                           bool separately) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  Lines lines{&*stream, {}};
  auto greeting = co_await read_line(&lines);
  if (!greeting) co_return core::fail(greeting.error());
  std::string command = separately ? "STARTTLS\r\n" : "STARTTLS\r\n" + after_starttls;
  auto sent = co_await stream->write(command, 5s);
  if (!sent) co_return core::fail(sent.error());
  if (separately) {
    co_await sleep_for(100ms);
    sent = co_await stream->write(after_starttls, 5s);
    if (!sent) co_return core::fail(sent.error());
  }
  auto go = co_await read_line(&lines);
  if (!go) co_return core::fail(go.error());
  auto tls = co_await stream->start_tls(Certificates::get().client(), 5s);
  if (!tls) co_return core::fail(tls.error());
  auto certificate = stream->peer_certificate();
  auto hello = co_await stream->write("EHLO client\r\n", 5s);
  if (!hello) co_return core::fail(hello.error());
  auto answer = co_await read_line(&lines);
  if (!answer) co_return core::fail(answer.error());
  co_return *answer + " / " + (certificate ? certificate->subject : "");
}

TEST(ServerStreamTest, StartTlsAsServerAndAsClient) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  // 300 ms before the server's handshake: the client's hello is in the
  // socket by then, which is not an injection (it is a TLS record).
  auto [heard, answer] =
      run_pair(io, starttls_server(std::move(listener), server_context("first"), 300ms),
               starttls_client(port, "", false));
  ASSERT_TRUE(heard.has_value()) << heard.error().describe();
  ASSERT_TRUE(answer.has_value()) << answer.error().describe();
  EXPECT_EQ(*heard, "EHLO client");
  EXPECT_EQ(*answer, "250 EHLO client over TLS / /CN=first.test");
}

TEST(ServerStreamTest, CommandsPipelinedAfterStartTlsAreRefused) {
  for (const auto delay : {0ms, 300ms}) {
    SCOPED_TRACE(delay == 0ms ? "read with the STARTTLS line" : "still in the socket");
    asio::io_context io;
    Listener listener = open_listener(io);
    const std::uint16_t port = listener.port();
    // The injection: plaintext after STARTTLS that a naive server would
    // execute as if it came over TLS.
    auto [heard, client] =
        run_pair(io, starttls_server(std::move(listener), server_context("first"), delay),
                 starttls_client(port, "MAIL FROM:<evil@example.test>\r\n", delay > 0ms));
    ASSERT_FALSE(heard.has_value()) << *heard;
    EXPECT_EQ(heard.error().code(), "net.starttls_injection") << heard.error().describe();
    EXPECT_EQ(heard.error().error_class(), core::ErrorClass::Permanent);
    EXPECT_NE(heard.error().message().find("client 127.0.0.1:"), std::string::npos);
    EXPECT_FALSE(client.has_value()) << "the client must not get a TLS session";
  }
}

// ---- implicit TLS, one client context for several connections ---------------

asio::awaitable<core::Result<std::string>> implicit_tls_server(
    Listener listener, std::shared_ptr<const TlsContext> context, int connections) {
  std::string heard;
  for (int i = 0; i < connections; ++i) {
    auto stream = co_await listener.accept_tls(context, 5s);
    if (!stream) co_return core::fail(stream.error());
    Lines lines{&*stream, {}};
    auto line = co_await read_line(&lines);
    if (!line) co_return core::fail(line.error());
    auto answer = co_await stream->write("ok " + *line + "\r\n", 5s);
    if (!answer) co_return core::fail(answer.error());
    heard += *line + ";";
  }
  co_return heard;
}

asio::awaitable<core::Result<std::string>> implicit_tls_client(
    std::uint16_t port, std::shared_ptr<const TlsContext> context, std::string word) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  auto tls = co_await stream->start_tls(context, 5s);
  if (!tls) co_return core::fail(tls.error());
  auto sent = co_await stream->write(word + "\r\n", 5s);
  if (!sent) co_return core::fail(sent.error());
  Lines lines{&*stream, {}};
  auto answer = co_await read_line(&lines);
  if (!answer) co_return core::fail(answer.error());
  co_return *answer + " " + stream->peer_certificate()->protocol;
}

TEST(ServerStreamTest, ImplicitTlsWithOneSharedClientContext) {
  auto client_context = TlsContext::client(Certificates::get().client());
  ASSERT_TRUE(client_context.has_value()) << client_context.error().describe();
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  auto server = asio::co_spawn(
      io, implicit_tls_server(std::move(listener), server_context("first"), 2), asio::use_future);
  auto one =
      asio::co_spawn(io, implicit_tls_client(port, *client_context, "one"), asio::use_future);
  auto two =
      asio::co_spawn(io, implicit_tls_client(port, *client_context, "two"), asio::use_future);
  io.run_for(15s);
  ASSERT_EQ(server.wait_for(0s), std::future_status::ready) << "the exchange did not end";
  auto heard = server.get();
  ASSERT_TRUE(heard.has_value()) << heard.error().describe();
  EXPECT_TRUE(*heard == "one;two;" || *heard == "two;one;") << *heard;
  auto first = one.get();
  auto second = two.get();
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  ASSERT_TRUE(second.has_value()) << second.error().describe();
  EXPECT_EQ(*first, "ok one TLSv1.3");
  EXPECT_EQ(*second, "ok two TLSv1.3");
}

TEST(ServerStreamTest, ClientContextRefusesAnUntrustedServer) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  auto untrusting = TlsContext::client(TlsSettings{});  // the system store: not our test CA
  ASSERT_TRUE(untrusting.has_value());
  auto [heard, result] =
      run_pair(io, implicit_tls_server(std::move(listener), server_context("first"), 1),
               implicit_tls_client(port, *untrusting, "x"));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.certificate") << result.error().describe();
  ASSERT_FALSE(heard.has_value());
  EXPECT_EQ(heard.error().code(), "net.tls") << heard.error().describe();
  // The server's side names the cause (the client's alert), not TLS versions.
  EXPECT_NE(heard.error().remedy().find("the client refused this listener's certificate"),
            std::string::npos)
      << heard.error().describe();
}

asio::awaitable<core::Result<std::string>> plain_smtp_client(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  auto sent = co_await stream->write("EHLO printer.lan\r\n", 5s);
  if (!sent) co_return core::fail(sent.error());
  auto answer = co_await stream->read_some(4096, 5s);
  if (!answer) co_return core::fail(answer.error());
  co_return *answer;
}

TEST(ServerStreamTest, PlainSmtpOnAnImplicitTlsListenerIsNamedAsNotTls) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  auto [heard, result] =
      run_pair(io, implicit_tls_server(std::move(listener), server_context("first"), 1),
               plain_smtp_client(port));
  ASSERT_FALSE(heard.has_value());
  EXPECT_EQ(heard.error().code(), "net.tls") << heard.error().describe();
  EXPECT_NE(heard.error().remedy().find("the client did not speak TLS"), std::string::npos)
      << heard.error().describe();
}

// ---- certificate reload -------------------------------------------------------

// Connection A gets the first certificate and stays open across the reload;
// connection B, accepted after it, gets the second; then A still talks.
asio::awaitable<core::Result<std::string>> reload_server(Listener listener,
                                                         ReloadableTlsContext* contexts,
                                                         std::string certificate_file,
                                                         std::string key_file) {
  auto first = co_await listener.accept_tls(contexts->current(), 5s);
  if (!first) co_return core::fail(first.error());
  Lines first_lines{&*first, {}};
  auto before = co_await read_line(&first_lines);  // A has finished its handshake
  if (!before) co_return core::fail(before.error());
  Certificates::get().install("second", certificate_file, key_file);
  auto reloaded = contexts->reload();
  if (!reloaded) co_return core::fail(reloaded.error());
  auto ready = co_await first->write("reloaded\r\n", 5s);
  if (!ready) co_return core::fail(ready.error());
  auto second = co_await listener.accept_tls(contexts->current(), 5s);
  if (!second) co_return core::fail(second.error());
  auto after = co_await read_line(&first_lines);  // A, after B's handshake
  if (!after) co_return core::fail(after.error());
  auto still = co_await first->write("still here\r\n", 5s);
  if (!still) co_return core::fail(still.error());
  co_return *before + "," + *after;
}

asio::awaitable<core::Result<std::string>> reload_clients(std::uint16_t port) {
  auto first = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!first) co_return core::fail(first.error());
  auto tls = co_await first->start_tls(Certificates::get().client(), 5s);
  if (!tls) co_return core::fail(tls.error());
  const std::string first_subject = first->peer_certificate()->subject;
  auto sent = co_await first->write("A before\r\n", 5s);
  if (!sent) co_return core::fail(sent.error());
  Lines first_lines{&*first, {}};
  auto reloaded = co_await read_line(&first_lines);
  if (!reloaded) co_return core::fail(reloaded.error());
  auto second = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!second) co_return core::fail(second.error());
  tls = co_await second->start_tls(Certificates::get().client(), 5s);
  if (!tls) co_return core::fail(tls.error());
  const std::string second_subject = second->peer_certificate()->subject;
  sent = co_await first->write("A after\r\n", 5s);
  if (!sent) co_return core::fail(sent.error());
  auto still = co_await read_line(&first_lines);
  if (!still) co_return core::fail(still.error());
  co_return first_subject + "," + second_subject + "," + *still;
}

TEST(ServerStreamTest, ReloadGivesNewConnectionsTheNewCertificateAndKeepsOpenOnes) {
  const auto& certificates = Certificates::get();
  const std::string live_certificate = certificates.file("live.crt");
  const std::string live_key = certificates.file("live.key");
  certificates.install("first", live_certificate, live_key);
  auto contexts = ReloadableTlsContext::load({live_certificate, live_key, TlsVersion::Tls12});
  ASSERT_TRUE(contexts.has_value()) << contexts.error().describe();
  EXPECT_EQ(contexts->current()->certificate_subject(), "/CN=first.test");

  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  auto [heard, seen] =
      run_pair(io, reload_server(std::move(listener), &*contexts, live_certificate, live_key),
               reload_clients(port));
  ASSERT_TRUE(heard.has_value()) << heard.error().describe();
  ASSERT_TRUE(seen.has_value()) << seen.error().describe();
  EXPECT_EQ(*heard, "A before,A after");
  EXPECT_EQ(*seen, "/CN=first.test,/CN=second.test,still here");
  EXPECT_EQ(contexts->current()->certificate_subject(), "/CN=second.test");
}

TEST(ServerStreamTest, FailedReloadKeepsTheCertificateInUse) {
  const auto& certificates = Certificates::get();
  const std::string certificate = certificates.file("broken.crt");
  const std::string key = certificates.file("broken.key");
  certificates.install("first", certificate, key);
  auto contexts = ReloadableTlsContext::load({certificate, key, TlsVersion::Tls12});
  ASSERT_TRUE(contexts.has_value()) << contexts.error().describe();
  std::filesystem::copy_file(certificates.file("second.key"), key,  // not the certificate's key
                             std::filesystem::copy_options::overwrite_existing);
  auto reloaded = contexts->reload();
  ASSERT_FALSE(reloaded.has_value());
  EXPECT_EQ(reloaded.error().code(), "net.key_mismatch") << reloaded.error().describe();
  EXPECT_EQ(reloaded.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(reloaded.error().message().find("previous one stays in use"), std::string::npos);
  EXPECT_EQ(contexts->current()->certificate_subject(), "/CN=first.test");
}

TEST(ServerStreamTest, MissingFilesAreConfigErrorsNamingThem) {
  ServerTlsSettings settings = Certificates::get().server("first");
  settings.key_file = "/nonexistent/server.key";
  auto context = TlsContext::server(settings);
  ASSERT_FALSE(context.has_value());
  EXPECT_EQ(context.error().code(), "net.key_file");
  EXPECT_EQ(context.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(context.error().message().find("/nonexistent/server.key"), std::string::npos);
  TlsSettings client;
  client.ca_file = "/nonexistent/ca.crt";
  auto client_context = TlsContext::client(client);
  ASSERT_FALSE(client_context.has_value());
  EXPECT_EQ(client_context.error().code(), "net.ca_file");
}

// ---- cancellation ------------------------------------------------------------

asio::awaitable<void> cancel_after(Stream* stream, std::chrono::milliseconds delay) {
  co_await sleep_for(delay);
  stream->cancel("the server is shutting down");
}

asio::awaitable<core::Result<std::string>> silent_server(Listener listener) {
  auto stream = co_await listener.accept();
  if (!stream) co_return core::fail(stream.error());
  auto nothing = co_await stream->read_some(1024, 10s);  // ends when the client hangs up
  co_return std::string("done");
}

asio::awaitable<core::Result<std::string>> read_until_cancelled(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  asio::co_spawn(co_await asio::this_coro::executor, cancel_after(&*stream, 200ms), asio::detached);
  auto read = co_await stream->read_some(1024, 30s);  // the peer never says a word
  EXPECT_TRUE(stream->cancelled());
  auto later = co_await stream->write("too late\r\n", 5s);
  EXPECT_FALSE(later.has_value()) << "a cancelled stream fails at once";
  co_return read;
}

TEST(ServerStreamTest, CancelEndsAReadBlockedOnASilentPeer) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  const auto started = Clock::now();
  auto [served, result] =
      run_pair(io, silent_server(std::move(listener)), read_until_cancelled(port));
  const auto waited = Clock::now() - started;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.cancelled");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_NE(result.error().message().find("shutting down"), std::string::npos);
  EXPECT_LT(waited, 5s) << "cancel did not end the 30 s read";
}

// interrupt() ends the one read (net.interrupted) and leaves the stream
// usable: the server can still write its 421 and read again.
asio::awaitable<void> interrupt_after(Stream* stream, std::chrono::milliseconds delay) {
  co_await sleep_for(delay);
  stream->interrupt("the relay is shutting down");
}

asio::awaitable<core::Result<std::string>> interrupted_then_answered(Listener listener) {
  auto stream = co_await listener.accept();
  if (!stream) co_return core::fail(stream.error());
  asio::co_spawn(co_await asio::this_coro::executor, interrupt_after(&*stream, 200ms),
                 asio::detached);
  auto read = co_await stream->read_some(1024, 30s);  // the client is silent
  if (read) co_return core::fail(core::ErrorClass::Bug, "test", "the read was not interrupted");
  EXPECT_EQ(read.error().code(), "net.interrupted");
  EXPECT_NE(read.error().message().find("shutting down"), std::string::npos);
  EXPECT_FALSE(stream->cancelled());
  auto said = co_await stream->write("421 4.3.2 shutting down\r\n", 5s);
  if (!said) co_return core::fail(said.error());
  co_return co_await stream->read_some(1024, 5s);  // the client's answer: the stream still reads
}

asio::awaitable<core::Result<std::string>> hear_and_answer(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  auto heard = co_await stream->read_some(1024, 10s);
  if (!heard) co_return heard;
  auto answered = co_await stream->write("QUIT\r\n", 5s);
  if (!answered) co_return core::fail(answered.error());
  co_return heard;
}

TEST(ServerStreamTest, InterruptEndsOneReadAndTheStreamStaysUsable) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  auto [served, heard] =
      run_pair(io, interrupted_then_answered(std::move(listener)), hear_and_answer(port));
  ASSERT_TRUE(heard.has_value()) << heard.error().describe();
  EXPECT_EQ(*heard, "421 4.3.2 shutting down\r\n");
  ASSERT_TRUE(served.has_value()) << served.error().describe();
  EXPECT_EQ(*served, "QUIT\r\n") << "the server read again after the interrupt";
}

// A client that connects and never starts its handshake; the server's
// handshake (30 s deadline) is cancelled by a watchdog after 200 ms.
asio::awaitable<core::Result<std::string>> handshake_until_cancelled(
    Listener listener, std::shared_ptr<const TlsContext> context) {
  auto stream = co_await listener.accept();
  if (!stream) co_return core::fail(stream.error());
  asio::co_spawn(co_await asio::this_coro::executor, cancel_after(&*stream, 200ms), asio::detached);
  auto handshake = co_await stream->start_tls(context, 30s, 0);
  if (!handshake) co_return core::fail(handshake.error());
  co_return std::string("handshake done");
}

asio::awaitable<core::Result<std::string>> connect_and_wait(std::uint16_t port) {
  auto stream = co_await Stream::connect("127.0.0.1", port, NetType::Tcp4, 5s);
  if (!stream) co_return core::fail(stream.error());
  auto nothing = co_await stream->read_some(1024, 5s);  // ends when the server hangs up
  co_return std::string("done");
}

TEST(ServerStreamTest, CancelEndsAPendingHandshake) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::uint16_t port = listener.port();
  const auto started = Clock::now();
  auto [result, client] =
      run_pair(io, handshake_until_cancelled(std::move(listener), server_context("first")),
               connect_and_wait(port));
  ASSERT_FALSE(result.has_value()) << *result;
  EXPECT_EQ(result.error().code(), "net.cancelled") << result.error().describe();
  EXPECT_LT(Clock::now() - started, 5s) << "cancel did not end the 30 s handshake";
}

asio::awaitable<core::Result<std::string>> accept_until_closed(Listener* listener) {
  auto stream = co_await listener->accept();
  if (!stream) co_return core::fail(stream.error());
  co_return std::string("a client came");
}

asio::awaitable<void> close_after(Listener* listener, std::chrono::milliseconds delay) {
  co_await sleep_for(delay);
  listener->close();
}

TEST(ServerStreamTest, CloseEndsAPendingAccept) {
  asio::io_context io;
  Listener listener = open_listener(io);
  auto accepted = asio::co_spawn(io, accept_until_closed(&listener), asio::use_future);
  asio::co_spawn(io, close_after(&listener, 200ms), asio::detached);
  io.run_for(10s);
  ASSERT_EQ(accepted.wait_for(0s), std::future_status::ready) << "accept did not end";
  auto result = accepted.get();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.cancelled");
}

// ---- real peers: openssl s_client and swaks ------------------------------------

// Output (stdout and stderr) of a shell command.
std::string output_of(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return output;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  ::pclose(pipe);
  return output;
}

// A tiny SMTP server for the peers: EHLO (offering STARTTLS before TLS),
// STARTTLS, QUIT, and "250 echo ..." for anything else. Serves one client.
asio::awaitable<core::Result<std::string>> tiny_smtp_server(
    Listener listener, std::shared_ptr<const TlsContext> context) {
  auto stream = co_await listener.accept();
  if (!stream) co_return core::fail(stream.error());
  auto greeting = co_await stream->write("220 tiny.test ESMTP\r\n", 5s);
  if (!greeting) co_return core::fail(greeting.error());
  Lines lines{&*stream, {}};
  std::string transcript;
  for (;;) {
    auto line = co_await read_line(&lines);
    if (!line) co_return core::fail(line.error());
    transcript += *line + "\n";
    std::string verb = line->substr(0, line->find(' '));
    for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::string reply;
    if (verb == "EHLO") {
      reply = stream->encrypted() ? "250-tiny.test\r\n250 8BITMIME\r\n"
                                  : "250-tiny.test\r\n250 STARTTLS\r\n";
    } else if (verb == "STARTTLS") {
      auto go = co_await stream->write("220 2.0.0 go ahead\r\n", 5s);
      if (!go) co_return core::fail(go.error());
      auto tls = co_await stream->start_tls(context, 5s, lines.buffer.size());
      if (!tls) co_return core::fail(tls.error());
      continue;
    } else if (verb == "QUIT") {
      auto bye = co_await stream->write("221 2.0.0 bye\r\n", 5s);
      if (!bye) co_return core::fail(bye.error());
      co_return transcript;
    } else {
      reply = "250 echo " + *line + "\r\n";
    }
    auto written = co_await stream->write(reply, 5s);
    if (!written) co_return core::fail(written.error());
  }
}

// Serves `server` on a thread (bounded by run_for) while `command` runs.
template <typename Task>
std::pair<core::Result<std::string>, std::string> serve_while(Task server_task,
                                                              asio::io_context& io,
                                                              const std::string& command) {
  auto server = asio::co_spawn(io, std::move(server_task), asio::use_future);
  std::thread thread([&io] { io.run_for(20s); });
  std::string output = output_of(command);
  thread.join();
  if (server.wait_for(0s) != std::future_status::ready) {
    return {core::fail(core::ErrorClass::Bug, "test", "the server did not end"), output};
  }
  return {server.get(), output};
}

TEST(ServerStreamTest, OpensslStartTlsSmtpTalksToTheServerStream) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::string command =
      "printf 'NOOP hello\\nQUIT\\n' | timeout 10 openssl s_client -starttls smtp -connect " +
      listener.local() + " -CAfile " + Certificates::get().file("ca.crt") +
      " -verify_return_error -crlf -ign_eof";
  auto [transcript, output] =
      serve_while(tiny_smtp_server(std::move(listener), server_context("first")), io, command);
  ASSERT_TRUE(transcript.has_value()) << transcript.error().describe() << "\n" << output;
  EXPECT_NE(transcript->find("STARTTLS\nNOOP hello\nQUIT\n"), std::string::npos) << *transcript;
  EXPECT_NE(output.find("Verify return code: 0 (ok)"), std::string::npos) << output;
  EXPECT_NE(output.find("250 echo NOOP hello"), std::string::npos) << output;
  EXPECT_NE(output.find("221 2.0.0 bye"), std::string::npos) << output;
}

TEST(ServerStreamTest, SwaksStartTlsTalksToTheServerStream) {
  asio::io_context io;
  Listener listener = open_listener(io);
  const std::string command = "timeout 10 swaks --server 127.0.0.1 --port " +
                              std::to_string(listener.port()) +
                              " --tls --tls-verify --tls-ca-path " +
                              Certificates::get().file("ca.crt") + " --quit-after TLS";
  auto [transcript, output] =
      serve_while(tiny_smtp_server(std::move(listener), server_context("first")), io, command);
  ASSERT_TRUE(transcript.has_value()) << transcript.error().describe() << "\n" << output;
  EXPECT_NE(output.find("TLS started"), std::string::npos) << output;
  EXPECT_NE(output.find("221 2.0.0 bye"), std::string::npos) << output;
}

// TLS 1.0 from an old device: refused at the default minimum (TLS 1.2);
// accepted when the listener's minimum is tls10 (which also sets OpenSSL's
// security level 0, without which OpenSSL 3 cannot sign a TLS 1.0 handshake).
asio::awaitable<core::Result<std::string>> one_tls_handshake(
    Listener listener, std::shared_ptr<const TlsContext> context) {
  auto stream = co_await listener.accept_tls(context, 5s);
  if (!stream) co_return core::fail(stream.error());
  std::string protocol = stream->peer_certificate()->protocol;
  co_return protocol;
}

TEST(ServerStreamTest, Tls10IsRefusedByDefaultAndAllowedWhenConfigured) {
  for (const auto minimum : {TlsVersion::Tls12, TlsVersion::Tls10}) {
    SCOPED_TRACE(std::string(to_string(minimum)));
    asio::io_context io;
    Listener listener = open_listener(io);
    const std::string command =
        "timeout 10 openssl s_client -tls1 -cipher 'DEFAULT:@SECLEVEL=0' "
        "-connect " +
        listener.local() + " </dev/null";
    auto [protocol, output] = serve_while(
        one_tls_handshake(std::move(listener), server_context("first", minimum)), io, command);
    if (minimum == TlsVersion::Tls12) {
      ASSERT_FALSE(protocol.has_value()) << *protocol;
      EXPECT_EQ(protocol.error().code(), "net.tls");
      EXPECT_NE(protocol.error().remedy().find("TLS 1.0"), std::string::npos);
      EXPECT_EQ(output.find("New, TLSv1.0"), std::string::npos) << output;
    } else {
      ASSERT_TRUE(protocol.has_value()) << protocol.error().describe() << "\n" << output;
      EXPECT_EQ(*protocol, "TLSv1");
      EXPECT_NE(output.find("New, TLSv1.0"), std::string::npos) << output;
    }
  }
}

}  // namespace
}  // namespace mailoauth::net
