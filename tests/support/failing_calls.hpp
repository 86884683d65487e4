// A core::SystemCalls that fails one kind of system call on purpose, for the
// tests of code that writes files durably (atomic writes, the relay's spool):
// each step of "create, write, fsync, rename, fsync the directory" can be made
// to fail with a chosen errno, to prove what is left behind and what is
// reported. One class for all of them, so a new step is added once.
// Header-only; tests include it by relative path.
#pragma once

#include <cerrno>
#include <cstddef>

#include <sys/types.h>

#include "mailoauth/core/system_calls.hpp"

namespace mailoauth::testing {

class FailingCalls : public core::SystemCalls {
 public:
  enum class Step { None, Open, Write, Fsync, Fchmod, Close, Rename, DirectoryFsync };

  // Fails `step` with `error_number`: writes from the `from_call`-th on, the
  // first fsync (Fsync) or the second (DirectoryFsync: the one after the
  // rename), the first close (after closing), every open, fchmod and rename.
  FailingCalls(Step step, int error_number, int from_call = 1)
      : step_(step), errno_(error_number), from_(from_call) {}

  // Successful writes take at most `bytes` (short writes), to prove the
  // caller's loop completes the file.
  FailingCalls& write_at_most(std::size_t bytes) {
    write_limit_ = bytes;
    return *this;
  }

  int open(const char* path, int flags, mode_t mode) override {
    if (step_ == Step::Open) return failure();
    return SystemCalls::open(path, flags, mode);
  }
  ssize_t write(int fd, const void* data, std::size_t size) override {
    if (step_ == Step::Write && ++writes_ >= from_) return failure();
    if (write_limit_ > 0 && size > write_limit_) size = write_limit_;
    return SystemCalls::write(fd, data, size);
  }
  int fsync(int fd) override {
    ++fsyncs_;
    if (step_ == Step::Fsync && fsyncs_ == 1) return failure();
    if (step_ == Step::DirectoryFsync && fsyncs_ == 2) return failure();
    return SystemCalls::fsync(fd);
  }
  int fchmod(int fd, mode_t mode) override {
    if (step_ == Step::Fchmod) return failure();
    return SystemCalls::fchmod(fd, mode);
  }
  int close(int fd) override {
    const int result = SystemCalls::close(fd);
    if (step_ == Step::Close && closes_++ == 0) return failure();
    return result;
  }
  int rename(const char* from, const char* to) override {
    if (step_ == Step::Rename) return failure();
    return SystemCalls::rename(from, to);
  }

 private:
  int failure() {
    errno = errno_;
    return -1;
  }
  Step step_;
  int errno_;
  int from_;
  std::size_t write_limit_ = 0;
  int writes_ = 0;
  int fsyncs_ = 0;
  int closes_ = 0;
};

}  // namespace mailoauth::testing
