// Tests for ServiceNotifier, the sd_notify protocol: datagrams arrive on a
// path socket and on an abstract one exactly as sent; unset NOTIFY_SOCKET is
// a notifier that does nothing; a relative, too-long or vsock address is
// refused; the watchdog interval is half of WATCHDOG_USEC and only for our
// PID; from_environment() removes the variables so no child inherits them.
// The receiving sockets are the test's own, bound in a temporary directory
// or under a unique abstract name.
#include "mailoauth/core/service_notifier.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../support/temporary_directory.hpp"

namespace mailoauth::core {
namespace {

using namespace std::chrono_literals;

// A bound datagram socket standing in for the service manager.
class Receiver {
 public:
  // `name`: a path, or an abstract name starting with '@'.
  explicit Receiver(const std::string& name) {
    socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string bytes = name;
    if (bytes.front() == '@') bytes.front() = '\0';
    bytes.copy(address.sun_path, bytes.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + bytes.size() +
                                               (name.front() == '/' ? 1 : 0));
    bound_ = ::bind(socket_, reinterpret_cast<const sockaddr*>(&address), length) == 0;
    timeval timeout{5, 0};  // a missing datagram fails the test, it does not hang it
    ::setsockopt(socket_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Receiver() { ::close(socket_); }
  bool bound() const { return bound_; }
  std::string receive() {
    char buffer[4096];
    const ssize_t got = ::recv(socket_, buffer, sizeof(buffer), 0);
    return got < 0 ? std::string("<nothing within 5 s>") : std::string(buffer, got);
  }

 private:
  int socket_ = -1;
  bool bound_ = false;
};

TEST(ServiceNotifierTest, SendsToAPathSocket) {
  testing::TemporaryDirectory directory;
  const std::string path = (directory.path() / "notify").string();
  Receiver receiver(path);
  ASSERT_TRUE(receiver.bound());
  auto notifier = ServiceNotifier::open(path);
  ASSERT_TRUE(notifier.has_value()) << notifier.error().describe();
  EXPECT_TRUE(notifier->enabled());
  ASSERT_TRUE(notifier->ready().has_value());
  EXPECT_EQ(receiver.receive(), "READY=1");
  ASSERT_TRUE(notifier->status("queue: 3 messages").has_value());
  EXPECT_EQ(receiver.receive(), "STATUS=queue: 3 messages");
  ASSERT_TRUE(notifier->watchdog().has_value());
  EXPECT_EQ(receiver.receive(), "WATCHDOG=1");
  ASSERT_TRUE(notifier->stopping().has_value());
  EXPECT_EQ(receiver.receive(), "STOPPING=1");
}

TEST(ServiceNotifierTest, SendsToAnAbstractSocket) {
  const std::string name = "@mailoauth-notify-test-" + std::to_string(::getpid());
  Receiver receiver(name);
  ASSERT_TRUE(receiver.bound());
  auto notifier = ServiceNotifier::open(name);
  ASSERT_TRUE(notifier.has_value()) << notifier.error().describe();
  ASSERT_TRUE(notifier->reloading().has_value());
  const std::string reloading = receiver.receive();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  EXPECT_GT(reloading.size(), std::string("RELOADING=1\nMONOTONIC_USEC=").size());
}

TEST(ServiceNotifierTest, StatusCannotStartAnotherAssignment) {
  testing::TemporaryDirectory directory;
  const std::string path = (directory.path() / "notify").string();
  Receiver receiver(path);
  auto notifier = ServiceNotifier::open(path);
  ASSERT_TRUE(notifier.has_value());
  ASSERT_TRUE(notifier->status("a\nREADY=1\r").has_value());
  EXPECT_EQ(receiver.receive(), "STATUS=a READY=1 ");
}

TEST(ServiceNotifierTest, UnsetIsDisabledAndDoesNothing) {
  auto notifier = ServiceNotifier::open("");
  ASSERT_TRUE(notifier.has_value());
  EXPECT_FALSE(notifier->enabled());
  EXPECT_TRUE(notifier->ready().has_value());
  EXPECT_TRUE(notifier->status("x").has_value());
  EXPECT_FALSE(ServiceNotifier().enabled());
  EXPECT_TRUE(ServiceNotifier().stopping().has_value());
}

TEST(ServiceNotifierTest, RefusesAddressesItCannotUse) {
  const std::string longest_path = "/" + std::string(sizeof(sockaddr_un::sun_path) - 2, 'p');
  EXPECT_TRUE(ServiceNotifier::open(longest_path).has_value());
  const auto too_long = ServiceNotifier::open(longest_path + "p");
  ASSERT_FALSE(too_long.has_value());
  EXPECT_EQ(too_long.error().code(), "core.notify_socket");
  EXPECT_EQ(too_long.error().error_class(), ErrorClass::Config);
  const std::string longest_abstract = "@" + std::string(sizeof(sockaddr_un::sun_path) - 1, 'a');
  EXPECT_TRUE(ServiceNotifier::open(longest_abstract).has_value());
  EXPECT_FALSE(ServiceNotifier::open(longest_abstract + "a").has_value());
  EXPECT_FALSE(ServiceNotifier::open("run/notify").has_value());
  EXPECT_FALSE(ServiceNotifier::open("vsock:2:1234").has_value());
  EXPECT_FALSE(ServiceNotifier::open("@").has_value());
}

TEST(ServiceNotifierTest, ReportsAManagerThatIsGone) {
  testing::TemporaryDirectory directory;
  auto notifier = ServiceNotifier::open((directory.path() / "nobody").string());
  ASSERT_TRUE(notifier.has_value());
  const auto sent = notifier->ready();
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), "core.notify_failed");
}

TEST(ServiceNotifierTest, WatchdogIsHalfTheTimeoutForOurPid) {
  EXPECT_EQ(watchdog_ping_interval({"", "2000000", ""}, 42), 1s);
  EXPECT_EQ(watchdog_ping_interval({"", "2000000", "42"}, 42), 1s);
  EXPECT_EQ(watchdog_ping_interval({"", "2000000", "41"}, 42), std::nullopt);
  EXPECT_EQ(watchdog_ping_interval({"", "", ""}, 42), std::nullopt);
  EXPECT_EQ(watchdog_ping_interval({"", "0", ""}, 42), std::nullopt);
  EXPECT_EQ(watchdog_ping_interval({"", "12x", ""}, 42), std::nullopt);
  EXPECT_EQ(watchdog_ping_interval({"", "-5", ""}, 42), std::nullopt);
  EXPECT_EQ(watchdog_ping_interval({"", "2000000", "pid"}, 42), std::nullopt);
  EXPECT_EQ(watchdog_ping_interval({"", "10", ""}, 42), 1ms);  // never a spinning timer
}

TEST(ServiceNotifierTest, FromEnvironmentUnsetsTheVariables) {
  testing::TemporaryDirectory directory;
  const std::string path = (directory.path() / "notify").string();
  Receiver receiver(path);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  ::setenv("WATCHDOG_USEC", "600000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  auto notifier = ServiceNotifier::from_environment();
  ASSERT_TRUE(notifier.has_value()) << notifier.error().describe();
  EXPECT_TRUE(notifier->enabled());
  EXPECT_EQ(notifier->watchdog_interval(), 300ms);
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
  ASSERT_TRUE(notifier->ready().has_value());
  EXPECT_EQ(receiver.receive(), "READY=1");
}

}  // namespace
}  // namespace mailoauth::core
