// A file descriptor closed when it goes out of scope, for the queue's plain
// POSIX code (the spool's files, the listing, the control socket's client).
// Header-only and tiny on purpose: it is included by three .cpp files only.
#pragma once

#include <utility>

#include <unistd.h>

namespace mailoauth::queue {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace mailoauth::queue
