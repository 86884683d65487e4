// Sockets, poll() and the HTTP/1.x request line, with every wait bounded.
#include "mailoauth/oauth2/loopback_listener.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::oauth2 {

namespace {

using core::ErrorClass;
using Clock = std::chrono::steady_clock;

constexpr auto kPerConnection = std::chrono::milliseconds(10000);
constexpr std::size_t kMaxConnections = 8;

class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

void answer(int fd, int status, std::string_view title, std::string_view text) {
  const std::string body = fmt::format(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0}</title></head>"
      "<body style=\"font-family:sans-serif;margin:3em\"><h1>{0}</h1><p>{1}</p></body></html>\n",
      title, text);
  send_all(fd, fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/html; charset=utf-8\r\n"
                           "Content-Length: {}\r\nCache-Control: no-store\r\n"
                           "Connection: close\r\n\r\n{}",
                           status, status == 200 ? "OK" : "Not Found", body.size(), body));
}

}  // namespace

core::Result<std::optional<std::string>> parse_loopback_request(std::string_view bytes,
                                                                std::size_t limit) {
  const auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > limit) {
      return core::fail(ErrorClass::Permanent, "loopback.too_large",
                        "the browser's request is larger than a redirect can be");
    }
    // Refuse early what can never become a GET line.
    if (bytes.size() >= 4 && !bytes.starts_with("GET ")) {
      return core::fail(ErrorClass::Permanent, "loopback.not_get", "not an HTTP GET");
    }
    return std::optional<std::string>();
  }
  if (end > limit) {
    return core::fail(ErrorClass::Permanent, "loopback.too_large",
                      "the browser's request is larger than a redirect can be");
  }
  const std::string_view line = bytes.substr(0, bytes.find("\r\n"));
  if (!line.starts_with("GET ")) {
    return core::fail(ErrorClass::Permanent, "loopback.not_get", "not an HTTP GET");
  }
  const std::string_view rest = line.substr(4);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos || space == 0) {
    return core::fail(ErrorClass::Permanent, "loopback.bad_request", "malformed request line");
  }
  const std::string_view target = rest.substr(0, space);
  const std::string_view version = rest.substr(space + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return core::fail(ErrorClass::Permanent, "loopback.bad_request", "not HTTP/1.x");
  }
  if (target.front() != '/') {
    return core::fail(ErrorClass::Permanent, "loopback.bad_request",
                      "the request target is not a path");
  }
  for (const char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return core::fail(ErrorClass::Permanent, "loopback.bad_request",
                        "control characters in the request target");
    }
  }
  return std::optional<std::string>(std::string(target));
}

core::Result<LoopbackRedirect> parse_loopback_redirect_uri(std::string_view uri) {
  const auto refuse = [uri](std::string_view why) {
    return core::fail(
        ErrorClass::Config, "loopback.redirect_uri",
        fmt::format("redirect_uri \"{}\": {}", core::escape_control_characters(uri), why),
        "use the loopback URI registered for the app, e.g. "
        "\"http://127.0.0.1/callback\" (the port is chosen at sign-in)");
  };
  constexpr std::string_view kScheme = "http://";
  if (!uri.starts_with(kScheme)) return refuse("it must start with http:// (a loopback redirect)");
  std::string_view rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  LoopbackRedirect redirect;
  redirect.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view host = authority;
  if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view digits = authority.substr(colon + 1);
    int port = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() ||
        port < 1 || port > 65535) {
      return refuse("its port is not a number from 1 to 65535");
    }
    redirect.port = port;
  }
  if (host != "127.0.0.1" && host != "localhost") {
    return refuse("the host must be 127.0.0.1 or localhost (mailoauth listens on 127.0.0.1)");
  }
  redirect.host = std::string(host);
  for (const char c : redirect.path) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') ||
                         std::string_view("-._~!$&'()*+,;=:@/%").find(c) != std::string_view::npos;
    if (!allowed) return refuse("its path may not hold a query, a fragment or such characters");
  }
  return redirect;
}

core::Result<LoopbackListener> LoopbackListener::open(const LoopbackRedirect& redirect) {
  auto listener = open(redirect.port);
  if (!listener) return listener;
  listener->host_ = redirect.host;
  listener->path_ = redirect.path;
  return listener;
}

core::Result<LoopbackListener> LoopbackListener::open(int port) {
  if (port < 0 || port > 65535) {
    return core::fail(ErrorClass::Config, "loopback.port",
                      fmt::format("{} is not a TCP port", port),
                      "use a port from 1024 to 65535, or 0 for one the system picks");
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return core::fail(ErrorClass::Temporary, "loopback.socket",
                      fmt::format("cannot make a socket: {}", std::strerror(errno)));
  }
  LoopbackListener listener(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    return core::fail(ErrorClass::Config, "loopback.bind",
                      fmt::format("cannot listen on 127.0.0.1:{}: {}", port, std::strerror(error)),
                      error == EADDRINUSE
                          ? "another program uses that port: pick another, or 0 for one the "
                            "system picks"
                          : "ports below 1024 need privileges; use one from 1024 to 65535");
  }
  if (::listen(fd, 8) != 0) {
    return core::fail(ErrorClass::Temporary, "loopback.listen",
                      fmt::format("cannot listen: {}", std::strerror(errno)));
  }
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  listener.port_ = ntohs(address.sin_port);
  return listener;
}

LoopbackListener::LoopbackListener(LoopbackListener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      port_(other.port_),
      host_(std::move(other.host_)),
      path_(std::move(other.path_)) {}

LoopbackListener& LoopbackListener::operator=(LoopbackListener&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
    host_ = std::move(other.host_);
    path_ = std::move(other.path_);
  }
  return *this;
}

LoopbackListener::~LoopbackListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::string LoopbackListener::redirect_uri() const {
  return fmt::format("http://{}:{}{}", host_, port_, path_);
}

core::Result<std::string> LoopbackListener::wait_for_redirect(std::chrono::milliseconds timeout) {
  // Several connections side by side: browsers open speculative connections
  // that send nothing (or only later), and a favicon request may come first;
  // none of them may hold up the redirect.
  struct Connection {
    std::unique_ptr<Descriptor> fd;
    std::string bytes;
    Clock::time_point deadline;
  };
  std::vector<Connection> connections;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const auto now = Clock::now();
    // Drop connections past their own deadline.
    std::erase_if(connections, [now](const Connection& c) { return c.deadline <= now; });
    std::vector<pollfd> entries;
    entries.push_back({fd_, POLLIN, 0});
    auto wake = deadline;
    for (const auto& connection : connections) {
      entries.push_back({connection.fd->get(), POLLIN, 0});
      wake = std::min(wake, connection.deadline);
    }
    if (now >= deadline) {
      return core::fail(ErrorClass::Temporary, "loopback.timeout",
                        fmt::format("no sign-in came back within {} s", timeout.count() / 1000),
                        "sign in again and finish in the browser, or use the device flow on a "
                        "machine without one");
    }
    const int ready = ::poll(entries.data(), entries.size(), remaining_ms(wake));
    if (ready < 0 && errno != EINTR) {
      return core::fail(ErrorClass::Temporary, "loopback.poll",
                        fmt::format("waiting for the browser failed: {}", std::strerror(errno)));
    }
    if (ready <= 0) continue;
    // Existing connections first (entries[1..] match connections[0..]).
    for (std::size_t i = connections.size(); i-- > 0;) {
      if ((entries[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      Connection& connection = connections[i];
      char buffer[2048];
      const ssize_t n = ::recv(connection.fd->get(), buffer, sizeof buffer, 0);
      if (n <= 0) {
        connections.erase(connections.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      connection.bytes.append(buffer, static_cast<std::size_t>(n));
      auto parsed = parse_loopback_request(connection.bytes);
      if (!parsed) {  // garbage or too large: dropped
        connections.erase(connections.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      if (!*parsed) continue;  // need more
      const std::string target = std::move(**parsed);
      const std::string_view path = std::string_view(target).substr(0, target.find('?'));
      if (path != path_ || target.find('?') == std::string::npos) {
        answer(connection.fd->get(), 404, "Not found", "This is mailoauth's sign-in listener.");
        connections.erase(connections.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      answer(connection.fd->get(), 200, "mailoauth",
             "The sign-in came back to mailoauth. You can close this window and return to the "
             "terminal.");
      return target;
    }
    if ((entries[0].revents & POLLIN) != 0) {
      const int accepted = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (accepted >= 0) {
        if (connections.size() >= kMaxConnections) {
          ::close(accepted);  // more than a browser opens: refuse the newest
        } else {
          connections.push_back({std::make_unique<Descriptor>(accepted),
                                 {},
                                 std::min(deadline, Clock::now() + kPerConnection)});
        }
      }
    }
  }
}

}  // namespace mailoauth::oauth2
