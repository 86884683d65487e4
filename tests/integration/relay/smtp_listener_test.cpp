// The relay's listener with the spool's system calls failing underneath it
// (core::SystemCalls fault injection): whatever step of storing a message
// fails — create, write, fsync, rename, directory fsync — the client gets a
// 4xx (452 4.3.1 when the disk is full, 451 4.3.0 otherwise), never a 250;
// nothing is left in incoming/ or queue/; and the same session is accepted
// again once the fault is gone. This is the "250 only after commit returned"
// promise tested at every step, which a full tmpfs (tests/cli/relay) reaches
// only at the write. A plain blocking socket is the client; every read has a
// 10 s limit.
#include "mailoauth/relay/smtp_listener.hpp"

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailoauth/core/system_calls.hpp"

namespace mailoauth::relay {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

enum class Fault { None, Open, Write, Fsync, Rename, DirectoryFsync };

// Fails the chosen step with the chosen errno while armed; the spool calls it
// from the relay's pool thread, the test arms it from its own.
class FaultyCalls : public core::SystemCalls {
 public:
  void arm(Fault fault, int error_number) {
    error_ = error_number;
    fsyncs_ = 0;
    fault_ = fault;
  }
  int open(const char* path, int flags, mode_t mode) override {
    if (fault_ == Fault::Open && (flags & O_CREAT) != 0) return failure();
    return SystemCalls::open(path, flags, mode);
  }
  ssize_t write(int fd, const void* data, std::size_t size) override {
    if (fault_ == Fault::Write) return failure();
    return SystemCalls::write(fd, data, size);
  }
  int fsync(int fd) override {
    const int n = ++fsyncs_;
    if (fault_ == Fault::Fsync && n == 1) return failure();
    if (fault_ == Fault::DirectoryFsync && n == 2) return failure();
    return SystemCalls::fsync(fd);
  }
  int rename(const char* from, const char* to) override {
    if (fault_ == Fault::Rename) return failure();
    return SystemCalls::rename(from, to);
  }

 private:
  int failure() {
    errno = error_.load();
    return -1;
  }
  std::atomic<Fault> fault_{Fault::None};
  std::atomic<int> error_{0};
  std::atomic<int> fsyncs_{0};
};

class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval limit{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }

  // One whole reply (the last line has a space after the code), or "" on EOF/timeout.
  std::string reply() {
    std::string text;
    for (;;) {
      const auto end = buffer_.find("\r\n");
      if (end == std::string::npos) {
        char chunk[4096];
        const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
        if (got <= 0) return "";
        buffer_.append(chunk, static_cast<std::size_t>(got));
        continue;
      }
      const std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      text += line + "\n";
      if (line.size() < 4 || line[3] != '-') return text;
    }
  }
  std::string command(std::string_view bytes) {
    ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    return reply();
  }

 private:
  int fd_;
  bool connected_ = false;
  std::string buffer_;
};

std::size_t files_in(const fs::path& directory) {
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (entry.path().filename().string().front() != '.') ++count;
  }
  return count;
}

class SmtpListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("mailoauth-relay-listener-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    auto config = parse_relay_config(R"(hostname = "relay.test"
greeting_pause_ms = 0
[listeners.lan]
port = 0
clients = ["127.0.0.1"]
[routes.all]
listeners = ["lan"]
account = "a"
)",
                                     "relay.toml");
    ASSERT_TRUE(config) << config.error().describe();
    config_ = std::move(*config);
    auto spool = queue::Spool::open(root_ / "spool", calls_);
    ASSERT_TRUE(spool) << spool.error().describe();
    spool_ = std::move(*spool);
    ServerServices services;
    services.config = &config_;
    services.spool = spool_.get();
    services.users = std::make_shared<const std::vector<RelayUser>>();
    services.logger = &logger_;
    services.pool = &pool_;
    auto server = SmtpServer::open(io_.get_executor(), services);
    ASSERT_TRUE(server) << server.error().describe();
    server_ = std::move(*server);
    server_->start();
    port_ = server_->ports().at(0);
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    if (server_) {
      std::promise<void> stopped;
      asio::post(io_, [&] {
        server_->stop_accepting();
        server_->cancel_sessions();
        stopped.set_value();
      });
      stopped.get_future().wait_for(std::chrono::seconds(10));
    }
    io_.stop();
    if (thread_.joinable()) thread_.join();
    pool_.join();
    server_.reset();
    fs::remove_all(root_);
  }

  // MAIL, RCPT, DATA and a small content; the reply to the content (or to DATA).
  std::string send_message(Client& client) {
    EXPECT_EQ(client.command("MAIL FROM:<a@contoso.com>\r\n").substr(0, 3), "250");
    EXPECT_EQ(client.command("RCPT TO:<b@example.com>\r\n").substr(0, 3), "250");
    const std::string data = client.command("DATA\r\n");
    if (data.substr(0, 3) != "354") return data;
    return client.command("Subject: t\r\n\r\nbody\r\n.\r\n");
  }

  fs::path root_;
  FaultyCalls calls_;
  RelayConfig config_;
  std::unique_ptr<queue::Spool> spool_;
  core::MemorySink sink_;
  core::Logger logger_{core::LogLevel::Info, core::LogFormat::Logfmt, &sink_};
  asio::io_context io_{1};
  asio::thread_pool pool_{1};
  std::unique_ptr<SmtpServer> server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(SmtpListenerTest, NoAcknowledgementUnlessCommitted) {
  struct Case {
    Fault fault;
    int error_number;
    std::string_view reply;
  };
  const Case cases[] = {
      {Fault::Open, ENOSPC, "452 4.3.1"},        {Fault::Write, ENOSPC, "452 4.3.1"},
      {Fault::Write, EIO, "451 4.3.0"},          {Fault::Fsync, EIO, "451 4.3.0"},
      {Fault::Fsync, ENOSPC, "452 4.3.1"},       {Fault::Rename, EIO, "451 4.3.0"},
      {Fault::DirectoryFsync, EIO, "451 4.3.0"},
  };
  Client client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.reply().substr(0, 3), "220");
  ASSERT_EQ(client.command("EHLO test\r\n").substr(0, 3), "250");
  std::size_t accepted = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "fault " << static_cast<int>(c.fault) << " errno " << c.error_number);
    calls_.arm(c.fault, c.error_number);
    const std::string refused = send_message(client);
    EXPECT_EQ(refused.substr(0, 9), c.reply) << refused;
    calls_.arm(Fault::None, 0);
    if (c.fault == Fault::DirectoryFsync) {
      // The rename happened before the directory fsync failed: the file is in
      // queue/ although the client was told to try again (a duplicate at
      // worst, never a loss).
      accepted = files_in(root_ / "spool/queue");
    }
    EXPECT_EQ(files_in(root_ / "spool/queue"), accepted) << "a refused message became visible";
    EXPECT_EQ(files_in(root_ / "spool/incoming"), 0u) << "a partial file was left behind";
    const std::string ok = send_message(client);
    EXPECT_EQ(ok.substr(0, 24), "250 2.0.0 Ok: queued as ") << ok;
    ++accepted;
    EXPECT_EQ(files_in(root_ / "spool/queue"), accepted) << "the fault gone, mail is accepted";
  }
  EXPECT_EQ(client.command("QUIT\r\n").substr(0, 3), "221");
  EXPECT_NE(sink_.text().find("message not stored"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::relay
