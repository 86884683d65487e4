// The sd_notify datagrams; see service_notifier.hpp.
#include "mailoauth/core/service_notifier.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>

#include <fmt/format.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace mailoauth::core {

namespace {

template <typename Number>
std::optional<Number> whole_number(std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string environment_value(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

std::optional<std::chrono::microseconds> watchdog_ping_interval(
    const NotifyEnvironment& environment, long own_pid) {
  const auto usec = whole_number<unsigned long long>(environment.watchdog_usec);
  if (!usec || *usec == 0) return std::nullopt;
  if (!environment.watchdog_pid.empty()) {
    const auto pid = whole_number<long>(environment.watchdog_pid);
    if (!pid || *pid != own_pid) return std::nullopt;
  }
  // Half the timeout, and at least a millisecond so a timer loop never spins.
  const auto half = std::chrono::microseconds(static_cast<long long>(*usec / 2));
  return std::max(half, std::chrono::microseconds(1000));
}

Result<ServiceNotifier> ServiceNotifier::open(std::string_view notify_socket,
                                              std::optional<std::chrono::microseconds> watchdog) {
  ServiceNotifier notifier;
  notifier.watchdog_ = watchdog;
  if (notify_socket.empty()) return notifier;
  if (notify_socket.front() != '/' && notify_socket.front() != '@') {
    return fail(ErrorClass::Config, "core.notify_socket",
                "NOTIFY_SOCKET is neither a path nor an abstract socket name (@...)",
                "the service manager sets it; unset it to run without one");
  }
  // A path needs its terminating NUL inside sun_path; an abstract name does not.
  const std::size_t room = sizeof(sockaddr_un::sun_path) - (notify_socket.front() == '/' ? 1 : 0);
  if (notify_socket.size() < 2 || notify_socket.size() > room) {
    return fail(ErrorClass::Config, "core.notify_socket",
                fmt::format("NOTIFY_SOCKET is {} bytes long; a unix socket address holds 2 to {}",
                            notify_socket.size(), room));
  }
  notifier.address_ = std::string(notify_socket);
  if (notifier.address_.front() == '@') notifier.address_.front() = '\0';
  notifier.socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (notifier.socket_ < 0) {
    return fail(ErrorClass::Temporary, "core.notify_socket",
                fmt::format("cannot make a socket for NOTIFY_SOCKET: {}", std::strerror(errno)));
  }
  return notifier;
}

Result<ServiceNotifier> ServiceNotifier::from_environment() {
  const NotifyEnvironment environment{environment_value("NOTIFY_SOCKET"),
                                      environment_value("WATCHDOG_USEC"),
                                      environment_value("WATCHDOG_PID")};
  ::unsetenv("NOTIFY_SOCKET");  // a child must not speak for us
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  return open(environment.notify_socket,
              watchdog_ping_interval(environment, static_cast<long>(::getpid())));
}

ServiceNotifier::ServiceNotifier(ServiceNotifier&& other) noexcept
    : socket_(std::exchange(other.socket_, -1)),
      address_(std::move(other.address_)),
      watchdog_(other.watchdog_) {}

ServiceNotifier& ServiceNotifier::operator=(ServiceNotifier&& other) noexcept {
  if (this != &other) {
    if (socket_ >= 0) ::close(socket_);
    socket_ = std::exchange(other.socket_, -1);
    address_ = std::move(other.address_);
    watchdog_ = other.watchdog_;
  }
  return *this;
}

ServiceNotifier::~ServiceNotifier() {
  if (socket_ >= 0) ::close(socket_);
}

Result<void> ServiceNotifier::notify(std::string_view state) const {
  if (socket_ < 0) return {};
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, address_.data(), address_.size());
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size() +
                                             (address_.front() == '/' ? 1 : 0));
  const ssize_t sent = ::sendto(socket_, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  if (sent < 0) {
    return fail(ErrorClass::Temporary, "core.notify_failed",
                fmt::format("the service manager's socket refused a notification: {}",
                            std::strerror(errno)));
  }
  return {};
}

Result<void> ServiceNotifier::status(std::string_view text) const {
  std::string line = "STATUS=";
  for (const char c : text) line += (c == '\n' || c == '\r') ? ' ' : c;
  return notify(line);
}

Result<void> ServiceNotifier::reloading() const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const long long usec = static_cast<long long>(now.tv_sec) * 1'000'000 + now.tv_nsec / 1000;
  return notify(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

}  // namespace mailoauth::core
