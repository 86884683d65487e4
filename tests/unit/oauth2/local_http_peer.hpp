// Test helper: a TCP peer on 127.0.0.1 (port chosen by the
// kernel) that either stays silent or answers one HTTP request with canned
// bytes, recording what it received. It injects the faults no real identity
// server produces on demand (silence, 429 with Retry-After, an oversized body);
// every wait is bounded by poll() timeouts and the thread is joined. A response
// containing kPause is sent in two writes with a pause between, so the client
// receives it in two TCP segments (a token split across reads).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../support/loopback_listener.hpp"

namespace mailoauth::testing {

class LocalHttpPeer {
 public:
  enum class Mode { Silent, Answer };
  static constexpr std::string_view kPause = "<pause>";

  LocalHttpPeer(Mode mode, std::string response = {})
      : LocalHttpPeer(mode, std::vector<std::string>{std::move(response)}) {}
  // Answers one connection per response, in order (each with Connection: close).
  LocalHttpPeer(Mode mode, std::vector<std::string> responses)
      : mode_(mode), responses_(std::move(responses)) {
    const LoopbackListener listener = open_loopback_listener();
    listener_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] {
      const std::size_t rounds = mode_ == Mode::Answer ? responses_.size() : 1;
      for (std::size_t i = 0; i < rounds && !stop_; ++i) serve(i);
    });
  }
  LocalHttpPeer(const LocalHttpPeer&) = delete;
  LocalHttpPeer& operator=(const LocalHttpPeer&) = delete;
  ~LocalHttpPeer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "/token") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // What the client sent (complete once the client has its answer).
  const std::string& received() const { return received_; }
  // How many connections were answered.
  int answered() const { return answered_; }

 private:
  bool wait_readable(int fd, int milliseconds) {
    pollfd entry{fd, POLLIN, 0};
    return ::poll(&entry, 1, milliseconds) > 0;
  }

  static void send_all(int connection, std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  void serve(std::size_t index) {
    // Wait up to 10 s for the client, checking for shutdown every 50 ms.
    int connection = -1;
    for (int i = 0; i < 200 && !stop_; ++i) {
      if (wait_readable(listener_, 50)) {
        connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        break;
      }
    }
    if (connection < 0) return;
    if (mode_ == Mode::Answer) {
      // Read the head, then the body by Content-Length, within 5 s.
      char buffer[4096];
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      std::string request;  // this connection's bytes
      std::size_t body_needed = std::string::npos;
      while (std::chrono::steady_clock::now() < deadline) {
        if (!wait_readable(connection, 50)) continue;
        const ssize_t n = ::read(connection, buffer, sizeof buffer);
        if (n <= 0) break;
        request.append(buffer, static_cast<std::size_t>(n));
        const auto head_end = request.find("\r\n\r\n");
        if (head_end == std::string::npos) continue;
        if (body_needed == std::string::npos) {
          body_needed = 0;
          const auto at = request.find("Content-Length: ");
          if (at != std::string::npos && at < head_end)
            body_needed = std::stoul(request.substr(at + 16));
        }
        if (request.size() >= head_end + 4 + body_needed) break;
      }
      received_ += request;
      const std::string& response = responses_[index];
      ++answered_;  // before sending: once the client has the answer, the count is right
      const std::size_t pause = response.find(kPause);
      send_all(connection, std::string_view(response).substr(0, pause));
      if (pause != std::string::npos) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the client reads part one
        send_all(connection, std::string_view(response).substr(pause + kPause.size()));
      }
    } else {
      while (!stop_) wait_readable(connection, 50);  // say nothing until the test ends
    }
    ::close(connection);
  }

  Mode mode_;
  std::vector<std::string> responses_;
  std::string received_;
  std::atomic<int> answered_{0};
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mailoauth::testing
