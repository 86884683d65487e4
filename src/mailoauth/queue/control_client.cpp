// One request over the relay's control socket; see control_client.hpp.
#include "mailoauth/queue/control_client.hpp"

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mailoauth/queue/file_descriptor.hpp"

namespace mailoauth::queue {

namespace {

using Steady = std::chrono::steady_clock;

core::Error unavailable(const std::filesystem::path& path, int error_number) {
  return core::Error(core::ErrorClass::Temporary, "queue.control_unavailable",
                     fmt::format("the relay holds the spool but does not answer on {}: {}",
                                 path.string(), std::strerror(error_number)),
                     "it may be starting or stopping: try again in a moment; its log says more");
}

core::Error timed_out(const std::filesystem::path& path) {
  return core::Error(core::ErrorClass::Temporary, "queue.control_timeout",
                     fmt::format("the relay did not answer on {} in time", path.string()),
                     "the command may still take effect; check with mailoauth queue show ID");
}

// Waits for `events` on fd until the deadline; false when it passed.
bool wait_for(int fd, short events, Steady::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return false;
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // the next call reports the error
  }
}

}  // namespace

core::Result<ControlOutcome> send_control_request(const std::filesystem::path& path,
                                                  const ControlRequest& request,
                                                  std::chrono::milliseconds deadline_in) {
  const Steady::time_point deadline = Steady::now() + deadline_in;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const std::string& text = path.native();
  if (text.size() >= sizeof(address.sun_path)) {
    return core::fail(core::ErrorClass::Config, "queue.control_path",
                      fmt::format("the control socket path {} is longer than {} bytes", text,
                                  sizeof(address.sun_path) - 1),
                      "choose a shorter spool_directory");
  }
  std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
  FileDescriptor socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (socket.get() < 0) return std::unexpected(unavailable(path, errno));
  if (::connect(socket.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) return std::unexpected(unavailable(path, errno));
    if (!wait_for(socket.get(), POLLOUT, deadline)) return std::unexpected(timed_out(path));
    int error = 0;
    socklen_t size = sizeof(error);
    ::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return std::unexpected(unavailable(path, error));
  }
  const std::string line = encode_control_request(request);
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t wrote =
        ::send(socket.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (wrote > 0) {
      sent += static_cast<std::size_t>(wrote);
    } else if (wrote < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_for(socket.get(), POLLOUT, deadline)) return std::unexpected(timed_out(path));
    } else {
      return std::unexpected(unavailable(path, errno));
    }
  }
  std::string reply;
  for (;;) {
    const std::size_t end = reply.find('\n');
    if (end != std::string::npos)
      return parse_control_reply(std::string_view(reply).substr(0, end));
    if (reply.size() > kMaxControlLine) return parse_control_reply(reply);  // reports it
    char buffer[1024];
    const ssize_t got = ::recv(socket.get(), buffer, sizeof(buffer), 0);
    if (got > 0) {
      reply.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0) {
      return std::unexpected(unavailable(path, ECONNRESET));
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!wait_for(socket.get(), POLLIN, deadline)) return std::unexpected(timed_out(path));
    } else {
      return std::unexpected(unavailable(path, errno));
    }
  }
}

}  // namespace mailoauth::queue
