// The spool's owner lock; see spool_lock.hpp for why a flock and not a pid file.
#include "mailoauth/queue/spool_lock.hpp"

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

namespace mailoauth::queue {

std::filesystem::path lock_path(const std::filesystem::path& spool) {
  return spool / "relay.lock";
}

std::filesystem::path control_socket_path(const std::filesystem::path& spool) {
  return spool / "control.sock";
}

SpoolLock::SpoolLock(SpoolLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

SpoolLock::~SpoolLock() {
  if (fd_ >= 0) ::close(fd_);  // closing drops the flock
}

core::Result<std::optional<SpoolLock>> SpoolLock::try_acquire(const std::filesystem::path& spool) {
  const std::filesystem::path path = lock_path(spool);
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return core::fail(
        core::ErrorClass::Config, "queue.lock",
        fmt::format("cannot open the spool lock {}: {}", path.string(), std::strerror(errno)),
        "run the command as the relay's user (the spool is 0700)");
  }
  SpoolLock lock(fd);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return std::optional<SpoolLock>();
    return core::fail(core::ErrorClass::Temporary, "queue.lock",
                      fmt::format("cannot lock {}: {}", path.string(), std::strerror(errno)));
  }
  return std::optional<SpoolLock>(std::move(lock));
}

core::Result<SpoolLock> SpoolLock::acquire(const std::filesystem::path& spool,
                                           std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    auto lock = try_acquire(spool);
    if (!lock) return core::fail(std::move(lock.error()));
    if (*lock) return std::move(**lock);
    if (std::chrono::steady_clock::now() >= deadline) {
      return core::fail(
          core::ErrorClass::Temporary, "queue.locked",
          fmt::format("the spool {} is in use by another relay or a queue command", spool.string()),
          "two relays cannot share a spool; give each its own spool_directory");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace mailoauth::queue
