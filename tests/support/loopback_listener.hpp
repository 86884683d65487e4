// A listening TCP socket on 127.0.0.1 at a port the kernel chooses, for the
// tests' fake peers (tests/integration/local_peer.hpp, the misbehaving mail
// servers; tests/unit/oauth2/local_http_peer.hpp, the misbehaving identity
// servers): one place that opens it, so both bind loopback only and never a
// fixed port (several test runs share the machine). Header-only.
#pragma once

#include <cstdint>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace mailoauth::testing {

struct LoopbackListener {
  int fd = -1;  // -1 when the socket could not be opened (the test then fails to connect)
  std::uint16_t port = 0;
};

inline LoopbackListener open_loopback_listener(int backlog = 4) {
  LoopbackListener listener;
  listener.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener.fd < 0 ||
      ::bind(listener.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener.fd, backlog) != 0 ||
      ::getsockname(listener.fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (listener.fd >= 0) ::close(listener.fd);
    return {};
  }
  listener.port = ntohs(address.sin_port);
  return listener;
}

}  // namespace mailoauth::testing
