// SystemCalls: the seam between mailoauth's durability code and the kernel. The
// token store and the spool promise "nothing acknowledged before it is on disk";
// that promise is only tested if a test can make write, fsync, rename or the
// directory fsync fail (EIO, ENOSPC) at a chosen step and check that the old data
// survives. Production code uses real_system_calls(); tests derive from
// SystemCalls and fail what they like. Each method returns 0 / a byte count / an
// fd on success and -1 with errno set on failure, exactly like the call it wraps.
#pragma once

#include <cstddef>

#include <sys/types.h>

namespace mailoauth::core {

class SystemCalls {
 public:
  virtual ~SystemCalls() = default;
  virtual int open(const char* path, int flags, mode_t mode);
  virtual ssize_t write(int fd, const void* data, std::size_t size);
  virtual int fsync(int fd);
  virtual int fchmod(int fd, mode_t mode);
  virtual int close(int fd);
  virtual int rename(const char* from, const char* to);
  virtual int unlink(const char* path);
};

SystemCalls& real_system_calls();

}  // namespace mailoauth::core
