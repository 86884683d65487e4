// Appending to a report or log file, then fsync (see the header).
#include "mailoauth/core/append_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailoauth::core {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return Error(ErrorClass::Temporary, "file.io",
               fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number)));
}

}  // namespace

Result<void> make_directories(const std::filesystem::path& directory, unsigned mode) {
  std::filesystem::path built;
  for (const auto& part : directory) {
    built /= part;
    if (::mkdir(built.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
      return fail(io_error("cannot create directory", built, errno));
    }
  }
  return {};
}

Result<AppendFile> AppendFile::open(const std::filesystem::path& path, unsigned mode) {
  const int descriptor =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, static_cast<mode_t>(mode));
  if (descriptor < 0) return fail(io_error("cannot open", path, errno));
  return AppendFile(descriptor, path);
}

AppendFile::AppendFile(AppendFile&& other) noexcept
    : descriptor_(std::exchange(other.descriptor_, -1)), path_(std::move(other.path_)) {}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept {
  if (this != &other) {
    if (descriptor_ >= 0) ::close(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

AppendFile::~AppendFile() {
  if (descriptor_ >= 0) ::close(descriptor_);
}

Result<void> AppendFile::append(std::string_view bytes) {
  if (descriptor_ < 0) return fail(io_error("write to closed file", path_, EBADF));
  while (!bytes.empty()) {
    const ssize_t written = ::write(descriptor_, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return fail(io_error("cannot write", path_, errno));
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

Result<void> AppendFile::close() {
  if (descriptor_ < 0) return {};
  const int descriptor = std::exchange(descriptor_, -1);
  if (::fsync(descriptor) != 0) {
    const int error_number = errno;
    ::close(descriptor);
    return fail(io_error("cannot fsync", path_, error_number));
  }
  if (::close(descriptor) != 0) return fail(io_error("cannot close", path_, errno));
  return {};
}

}  // namespace mailoauth::core
