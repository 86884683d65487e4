// The timing-sensitive helpers of bench/relay.sh, in C++ on blocking POSIX
// sockets with one thread per connection, so that what they add to a
// measurement is a few system calls and no interpreter:
//
//   latency PORT SESSIONS MESSAGES SIZE FROM TO
//       SESSIONS sessions at once, each sending MESSAGES messages of ~SIZE
//       bytes; for each message the time from writing the end of its data
//       (".<CRLF>") to reading the reply. Prints "accepted N refused N
//       wall_us N p50_us N p90_us N p99_us N max_us N".
//   idle PORT COUNT
//       opens COUNT sessions, reads each greeting, sends EHLO and reads the
//       reply, prints "idle COUNT" and holds them open until stdin closes.
//   proxy LISTEN_PORT TARGET_PORT
//       a forwarder to 127.0.0.1:TARGET_PORT that adds XOAUTH2 to the AUTH
//       line of the target's EHLO reply and forwards everything else
//       unchanged. Postfix's smtp-sink announces only PLAIN and LOGIN (and
//       answers any AUTH with 235), and the relay's client sends a token only
//       to a server that offers an OAuth2 mechanism; the forwarder answers the
//       AUTH command itself (235: smtp-sink would say 250, which no client
//       takes for a login). Prints "listening PORT".
//
// Everything is on 127.0.0.1; every read and write has a 60 s deadline
// (SO_RCVTIMEO/SO_SNDTIMEO), so a stuck peer ends the tool instead of
// hanging the benchmark. Exit 0 on success, 1 on a network error, 64 on usage.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kDeadlineSeconds = 60;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "relay_bench_tool: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

void set_deadlines(int fd) {
  timeval deadline{kDeadlineSeconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &deadline, sizeof deadline);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  set_deadlines(fd);
  sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("connect");
  return fd;
}

void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) die("send");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads SMTP replies from one connection: a whole (possibly multi-line) reply
// at a time, its code returned.
class ReplyReader {
 public:
  explicit ReplyReader(int fd) : fd_(fd) {}
  int read_reply() {
    for (;;) {
      const std::size_t end = buffer_.find("\r\n");
      if (end == std::string::npos) {
        fill();
        continue;
      }
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      if (line.size() < 3) {
        std::fprintf(stderr, "relay_bench_tool: short reply line \"%s\"\n", line.c_str());
        std::exit(1);
      }
      if (line.size() == 3 || line[3] == ' ') return std::atoi(line.substr(0, 3).c_str());
    }
  }

 private:
  void fill() {
    char chunk[4096];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) die("reading a reply");
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  int fd_;
  std::string buffer_;
};

void expect(ReplyReader& reader, int wanted, const char* after) {
  const int code = reader.read_reply();
  if (code != wanted) {
    std::fprintf(stderr, "relay_bench_tool: %d after %s (wanted %d)\n", code, after, wanted);
    std::exit(1);
  }
}

// --- latency ---------------------------------------------------------------

std::string message_body(std::size_t size, const std::string& from, const std::string& to) {
  std::string body =
      "From: <" + from + ">\r\nTo: <" + to +
      ">\r\nSubject: relay latency bench\r\nMessage-ID: <latency@bench.test>\r\n\r\n";
  while (body.size() < size) body += "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  return body;
}

int latency(int port, int sessions, int messages, std::size_t size, const std::string& from,
            const std::string& to) {
  const std::string body = message_body(size, from, to);
  std::mutex mutex;
  std::vector<long> samples;
  std::atomic<int> refused{0};
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int s = 0; s < sessions; ++s) {
    threads.emplace_back([&]() {
      const int fd = connect_to(port);
      ReplyReader reader(fd);
      expect(reader, 220, "connecting");
      write_all(fd, "EHLO latency.bench.test\r\n");
      expect(reader, 250, "EHLO");
      std::vector<long> mine;
      for (int m = 0; m < messages; ++m) {
        write_all(fd, "MAIL FROM:<" + from + ">\r\n");
        expect(reader, 250, "MAIL");
        write_all(fd, "RCPT TO:<" + to + ">\r\n");
        expect(reader, 250, "RCPT");
        write_all(fd, "DATA\r\n");
        expect(reader, 354, "DATA");
        write_all(fd, body);
        const auto sent = Clock::now();
        write_all(fd, ".\r\n");
        const int code = reader.read_reply();
        const auto answered = Clock::now();
        if (code != 250) ++refused;
        mine.push_back(static_cast<long>(
            std::chrono::duration_cast<std::chrono::microseconds>(answered - sent).count()));
      }
      write_all(fd, "QUIT\r\n");
      close(fd);
      std::lock_guard lock(mutex);
      samples.insert(samples.end(), mine.begin(), mine.end());
    });
  }
  for (std::thread& thread : threads) thread.join();
  const auto wall = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))];
  };
  std::printf("accepted %zu refused %d wall_us %ld p50_us %ld p90_us %ld p99_us %ld max_us %ld\n",
              samples.size() - static_cast<std::size_t>(refused.load()), refused.load(),
              static_cast<long>(wall.count()), at(0.50), at(0.90), at(0.99), samples.back());
  return 0;
}

// --- idle ------------------------------------------------------------------

int idle(int port, int count) {
  std::vector<int> fds;
  for (int i = 0; i < count; ++i) {
    const int fd = connect_to(port);
    ReplyReader reader(fd);
    expect(reader, 220, "connecting");
    write_all(fd, "EHLO idle.bench.test\r\n");
    expect(reader, 250, "EHLO");
    fds.push_back(fd);
  }
  std::printf("idle %d\n", count);
  std::fflush(stdout);
  char byte;
  while (read(0, &byte, 1) > 0) {
  }
  for (int fd : fds) close(fd);
  return 0;
}

// --- proxy -----------------------------------------------------------------

// Server to client: the first lines up to and including the one with AUTH
// are rewritten (whole lines only), the rest is copied as it comes.
void pump_from_server(int server, int client) {
  std::string pending;
  bool rewriting = true;
  char chunk[65536];
  for (;;) {
    const ssize_t n = recv(server, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (!rewriting) {
      write_all(client, std::string_view(chunk, static_cast<std::size_t>(n)));
      continue;
    }
    pending.append(chunk, static_cast<std::size_t>(n));
    const std::size_t complete = pending.rfind("\r\n");
    if (complete == std::string::npos) continue;
    std::string lines = pending.substr(0, complete + 2);
    pending.erase(0, complete + 2);
    const std::size_t auth = lines.find("-AUTH PLAIN LOGIN\r\n");
    if (auth != std::string::npos) {
      lines.insert(auth + std::strlen("-AUTH PLAIN LOGIN"), " XOAUTH2 OAUTHBEARER");
      rewriting = false;
    }
    if (!rewriting) {
      lines += pending;
      pending.clear();
    }
    write_all(client, lines);
  }
  shutdown(client, SHUT_WR);
}

// Client to server: copied as it comes, except an AUTH command (with its
// initial response on the line, as both relays send it): smtp-sink would
// answer it with 250, so the forwarder answers 235 itself and drops it.
void pump_from_client(int client, int server) {
  char chunk[65536];
  bool authenticated = false;
  for (;;) {
    const ssize_t n = recv(client, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const std::string_view bytes(chunk, static_cast<std::size_t>(n));
    if (!authenticated && (bytes.starts_with("AUTH ") || bytes.starts_with("auth "))) {
      authenticated = true;
      write_all(client, "235 2.7.0 Authentication successful (relay_bench_tool)\r\n");
      continue;
    }
    write_all(server, bytes);
  }
  shutdown(server, SHUT_WR);
}

int proxy(int listen_port, int target_port) {
  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = loopback(listen_port);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) die("bind");
  if (listen(listener, 1024) != 0) die("listen");
  socklen_t length = sizeof address;
  getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("listening %d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  for (;;) {
    const int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    set_deadlines(client);
    const int server = connect_to(target_port);
    std::thread([client, server]() {
      std::thread back(pump_from_server, server, client);
      pump_from_client(client, server);
      back.join();
      close(client);
      close(server);
    }).detach();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 7 && args[0] == "latency") {
      return latency(std::stoi(args[1]), std::stoi(args[2]), std::stoi(args[3]),
                     std::stoul(args[4]), args[5], args[6]);
    }
    if (args.size() == 3 && args[0] == "idle") return idle(std::stoi(args[1]), std::stoi(args[2]));
    if (args.size() == 3 && args[0] == "proxy") {
      return proxy(std::stoi(args[1]), std::stoi(args[2]));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "relay_bench_tool: %s\n", error.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: relay_bench_tool latency PORT SESSIONS MESSAGES SIZE FROM TO\n"
               "       relay_bench_tool idle PORT COUNT\n"
               "       relay_bench_tool proxy LISTEN_PORT TARGET_PORT\n");
  return 64;
}
