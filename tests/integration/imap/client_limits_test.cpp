// The IMAP client's per-command caps (issue 11: a server sending endless
// untagged responses drove check_imap_mailbox_basic to 413 MB): a hostile
// peer on 127.0.0.1 that, after the greeting, answers a command with
// untagged responses that never end. The command must fail with a clear
// error naming the limit (not run into its deadline collecting all of them),
// and the process's peak memory must stay bounded. The peer is a
// net::Listener with implicit TLS and the stack's server certificate,
// served on a thread of its own; every wait is bounded by the client's
// deadlines and the peer's run_for.
#include <chrono>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/net/listener.hpp"

#include "../stack_env.hpp"

namespace mailoauth::imap {
namespace {

using namespace std::chrono_literals;
using testing::StackEnv;
using Clock = std::chrono::steady_clock;

// Greets, reads one command line, then sends `line` until the client goes.
boost::asio::awaitable<void> flood(net::Listener listener,
                                   std::shared_ptr<const net::TlsContext> context,
                                   std::string line) {
  auto stream = co_await listener.accept_tls(context, 5s);
  if (!stream) co_return;
  auto greeted = co_await stream->write("* OK [CAPABILITY IMAP4rev1] hostile peer\r\n", 5s);
  if (!greeted) co_return;
  std::string command;
  while (command.find("\r\n") == std::string::npos) {
    auto chunk = co_await stream->read_some(4096, 5s);
    if (!chunk) co_return;
    command += *chunk;
  }
  std::string batch;
  while (batch.size() < 256 * 1024) batch += line;
  for (;;) {  // ends when the client hangs up (or stops reading for 10 s)
    auto written = co_await stream->write(batch, 10s);
    if (!written) co_return;
  }
}

// The hostile peer on its own thread and io_context.
class FloodingPeer {
 public:
  explicit FloodingPeer(std::string line) {
    net::ServerTlsSettings tls;
    tls.certificate_file = StackEnv::get()["STACK_DIR"] + "/tls/server.crt";
    tls.key_file = StackEnv::get()["STACK_DIR"] + "/tls/server.key";
    auto context = net::TlsContext::server(tls);
    if (!context) throw std::runtime_error(context.error().describe());
    auto listener = net::Listener::open(io_.get_executor(), "127.0.0.1", 0);
    if (!listener) throw std::runtime_error(listener.error().describe());
    port_ = listener->port();
    boost::asio::co_spawn(io_, flood(std::move(*listener), *context, std::move(line)),
                          boost::asio::detached);
    thread_ = std::thread([this] { io_.run_for(90s); });
  }
  FloodingPeer(const FloodingPeer&) = delete;
  FloodingPeer& operator=(const FloodingPeer&) = delete;
  ~FloodingPeer() { thread_.join(); }
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::io_context io_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

ClientSettings hostile_settings(std::uint16_t port) {
  ClientSettings settings;
  settings.host = "127.0.0.1";
  settings.port = port;
  settings.tls_mode = TlsMode::Implicit;
  settings.tls.ca_file = StackEnv::get()["CA_FILE"];
  settings.connect_timeout = 5s;
  settings.command_timeout = 60s;  // the caps, not the deadline, must end it
  return settings;
}

long peak_memory_mib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

TEST(ImapClientLimitsTest, EndlessListEndsAtTheDefaultCapWithBoundedMemory) {
  FloodingPeer peer("* LIST (\\HasNoChildren) \"/\" \"folder\"\r\n");
  SyncClient client(hostile_settings(peer.port()));
  auto connected = client.connect();
  ASSERT_TRUE(connected.has_value()) << connected.error().describe();
  const auto started = Clock::now();
  auto listed = client.list("", "*");
  const auto elapsed = Clock::now() - started;
  ASSERT_FALSE(listed.has_value()) << listed->size() << " entries";
  EXPECT_EQ(listed.error().code(), "imap.too_many_responses") << listed.error().describe();
  EXPECT_EQ(listed.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(listed.error().message().find("1000000 untagged responses to LIST"), std::string::npos)
      << listed.error().message();
  EXPECT_NE(listed.error().message().find("max_untagged_responses"), std::string::npos);
  EXPECT_NE(listed.error().remedy().find("max_untagged_responses"), std::string::npos);
  EXPECT_LT(elapsed, 60s) << "the command ran into its deadline instead of the cap";
  EXPECT_FALSE(client.connected()) << "the connection is dropped";
  const long peak = peak_memory_mib();
  std::printf("peak memory after 1,000,000 LIST responses: %ld MiB in %lld ms\n", peak,
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
  EXPECT_LT(peak, 1024) << "a million LIST entries should stay far below a gigabyte";
}

TEST(ImapClientLimitsTest, ConfiguredResponseCapEndsAnEndlessCapabilityAnswer) {
  FloodingPeer peer("* 1 EXISTS\r\n");
  ClientSettings settings = hostile_settings(peer.port());
  settings.max_untagged_responses = 1000;
  SyncClient client(std::move(settings));
  ASSERT_TRUE(client.connect().has_value());
  auto capabilities = client.capability();
  ASSERT_FALSE(capabilities.has_value());
  EXPECT_EQ(capabilities.error().code(), "imap.too_many_responses")
      << capabilities.error().describe();
  EXPECT_NE(capabilities.error().message().find("more than 1000 untagged responses to CAPABILITY"),
            std::string::npos)
      << capabilities.error().message();
  EXPECT_FALSE(client.status("INBOX").has_value()) << "no command on a dropped session";
}

TEST(ImapClientLimitsTest, ByteCapEndsAnEndlessAnswerOfLongLines) {
  FloodingPeer peer("* OK " + std::string(60'000, 'x') + "\r\n");
  ClientSettings settings = hostile_settings(peer.port());
  settings.max_command_bytes = 4 * 1024 * 1024;
  SyncClient client(std::move(settings));
  ASSERT_TRUE(client.connect().has_value());
  auto status = client.status("INBOX");
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), "imap.answer_too_large") << status.error().describe();
  EXPECT_NE(status.error().message().find("more than 4 MiB in answer to STATUS"), std::string::npos)
      << status.error().message();
  EXPECT_NE(status.error().remedy().find("max_command_bytes"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::imap
