// Who owns a spool right now: the running relay, or nobody. The relay holds
// an exclusive flock(2) on `<spool>/relay.lock` for as long as it runs; the
// queue tool asks for the same lock without waiting. Got it: no relay runs,
// and none can start while the tool holds it, so the tool may change the
// spool's files itself. Refused: a relay runs, and every change must go
// through its control socket so that its scheduler makes the change (and
// never delivers a message the tool is moving). The kernel drops a flock when
// its holder dies, so a relay killed with -9 leaves no stale lock behind (a
// pid file would). Plain POSIX, no Asio: the queue tool links it too.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>

#include "mailoauth/core/error.hpp"

namespace mailoauth::queue {

class SpoolLock {
 public:
  SpoolLock(SpoolLock&& other) noexcept;
  SpoolLock& operator=(SpoolLock&&) = delete;
  ~SpoolLock();

  // The lock without waiting; nullopt when another process holds it.
  static core::Result<std::optional<SpoolLock>> try_acquire(const std::filesystem::path& spool);
  // Waits up to `patience` (a queue tool command holds it for milliseconds);
  // queue.locked (Temporary) when it is still held then.
  static core::Result<SpoolLock> acquire(const std::filesystem::path& spool,
                                         std::chrono::milliseconds patience);

 private:
  explicit SpoolLock(int fd) : fd_(fd) {}
  int fd_;
};

std::filesystem::path lock_path(const std::filesystem::path& spool);
// The running relay's control socket (control_protocol.hpp).
std::filesystem::path control_socket_path(const std::filesystem::path& spool);

}  // namespace mailoauth::queue
