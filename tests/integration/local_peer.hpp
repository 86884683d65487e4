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

#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../support/loopback_listener.hpp"

namespace mailoauth::testing {

class LocalPeer {
 public:
  explicit LocalPeer(std::function<void(int)> behave) {
    const LoopbackListener listener = open_loopback_listener();
    listener_ = listener.fd;
    port_ = listener.port;
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
