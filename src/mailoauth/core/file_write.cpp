// Implementation of atomic_write_file and directory fsync over the SystemCalls
// seam. Every step checks its result; the temporary file is removed on each
// failure path by a scope guard, so no half-written file is left behind.
#include "mailoauth/core/file_write.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>

namespace mailoauth::core {

Error file_error(std::string_view step, const std::filesystem::path& path, int error_number) {
  std::string remedy;
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      remedy = "free disk space or raise the quota; nothing was replaced";
      break;
    case EACCES:
    case EPERM:
      remedy = "check the owner and mode of the file and its directory";
      break;
    case ENOENT:
    case ENOTDIR:
      remedy = "create the directory first or fix the path";
      break;
    case EROFS:
      remedy = "the file system is read-only; choose a writable location";
      break;
    default:
      break;
  }
  return Error(classify_errno(error_number), fmt::format("file.{}", step),
               fmt::format("{} {}: {}", step, path.string(), std::strerror(error_number)),
               std::move(remedy));
}

namespace {

std::string random_suffix() {
  std::array<unsigned char, 6> bytes{};
  if (getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    // Extremely unlikely; O_EXCL below still guarantees we never reuse a file.
    bytes.fill(0);
  }
  std::string suffix;
  for (unsigned char byte : bytes) suffix += fmt::format("{:02x}", byte);
  return suffix;
}

// Closes the descriptor and removes the temporary file unless released.
class TemporaryFile {
 public:
  TemporaryFile(SystemCalls& calls, std::filesystem::path path, int fd)
      : calls_(calls), path_(std::move(path)), fd_(fd) {}
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) calls_.close(fd_);
    if (!renamed_) calls_.unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }
  // Closes now so the error of close() is seen (NFS reports write errors there).
  int close() { return calls_.close(std::exchange(fd_, -1)); }
  void mark_renamed() { renamed_ = true; }

 private:
  SystemCalls& calls_;
  std::filesystem::path path_;
  int fd_;
  bool renamed_ = false;
};

}  // namespace

ErrorClass classify_errno(int error_number) {
  switch (error_number) {
    case EACCES:
    case EPERM:
    case ENOENT:
    case ENOTDIR:
    case EROFS:
    case EISDIR:
    case ENAMETOOLONG:
      return ErrorClass::Config;
    default:
      return ErrorClass::Temporary;
  }
}

Result<void> sync_directory(const std::filesystem::path& directory, SystemCalls& calls) {
  const int fd = calls.open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return fail(file_error("open_directory", directory, errno));
  const int result = calls.fsync(fd);
  const int saved_errno = errno;
  calls.close(fd);
  if (result != 0) return fail(file_error("fsync_directory", directory, saved_errno));
  return {};
}

Result<void> atomic_write_file(const std::filesystem::path& path, std::string_view contents,
                               mode_t mode, SystemCalls& calls) {
  std::filesystem::path directory = path.parent_path();
  if (directory.empty()) directory = ".";
  std::filesystem::path temporary =
      directory / fmt::format(".{}.tmp.{}", path.filename().string(), random_suffix());

  const int fd = calls.open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return fail(file_error("create", temporary, errno));
  TemporaryFile file(calls, temporary, fd);

  // The mode is set before the first byte, so a secret is never readable by others.
  if (calls.fchmod(fd, mode) != 0) return fail(file_error("chmod", temporary, errno));

  std::size_t written = 0;
  while (written < contents.size()) {
    const ssize_t result = calls.write(fd, contents.data() + written, contents.size() - written);
    if (result < 0) {
      if (errno == EINTR) continue;
      return fail(file_error("write", temporary, errno));
    }
    if (result == 0) return fail(file_error("write", temporary, EIO));
    written += static_cast<std::size_t>(result);
  }
  if (calls.fsync(fd) != 0) return fail(file_error("fsync", temporary, errno));
  if (file.close() != 0) return fail(file_error("close", temporary, errno));
  if (calls.rename(temporary.c_str(), path.c_str()) != 0) {
    return fail(file_error("rename", path, errno));
  }
  file.mark_renamed();
  // The new contents are in place; the directory fsync makes the rename durable.
  // If it fails the caller must not acknowledge, so the error is reported.
  return sync_directory(directory, calls);
}

}  // namespace mailoauth::core
