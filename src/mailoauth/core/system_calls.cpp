// The real system calls behind the SystemCalls seam: thin, no policy.
#include "mailoauth/core/system_calls.hpp"

#include <cstdio>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailoauth::core {

int SystemCalls::open(const char* path, int flags, mode_t mode) {
  return ::open(path, flags, mode);
}
ssize_t SystemCalls::write(int fd, const void* data, std::size_t size) {
  return ::write(fd, data, size);
}
int SystemCalls::fsync(int fd) {
  return ::fsync(fd);
}
int SystemCalls::fchmod(int fd, mode_t mode) {
  return ::fchmod(fd, mode);
}
int SystemCalls::close(int fd) {
  return ::close(fd);
}
int SystemCalls::rename(const char* from, const char* to) {
  return std::rename(from, to);
}
int SystemCalls::unlink(const char* path) {
  return ::unlink(path);
}

SystemCalls& real_system_calls() {
  static SystemCalls calls;
  return calls;
}

}  // namespace mailoauth::core
