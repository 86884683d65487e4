// Test helper: a listener on 127.0.0.1 (a free port) that accepts one
// connection and then does what the test says — the misbehaving servers no
// real one can be made to be: silent, closing, injecting bytes before TLS,
// dropping STARTTLS, offering odd extensions. Lines are read and written with
// plain blocking sockets on the peer's own thread; reads give up after a
// few seconds so a test that goes wrong fails instead of hanging.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace mailoauth::testing {

class LocalPeer {
 public:
  explicit LocalPeer(std::function<void(int)> behave) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 4);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, behave = std::move(behave)] {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection >= 0) {
        timeval limit{5, 0};
        ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        behave(connection);
        ::close(connection);
      }
    });
  }
  LocalPeer(const LocalPeer&) = delete;
  LocalPeer& operator=(const LocalPeer&) = delete;
  ~LocalPeer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

  static void send_text(int fd, const std::string& text) {
    (void)::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  }
  // One line without its CRLF; empty on end of stream or after 5 s.
  static std::string read_line(int fd) {
    std::string line;
    char c = 0;
    while (::recv(fd, &c, 1, 0) == 1) {
      if (c == '\n') {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      line += c;
    }
    return line;
  }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace mailoauth::testing
