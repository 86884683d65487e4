// stat/access behind file_access_failure; nothing here throws.
#include "mailoauth/oauth2/file_access.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace mailoauth::oauth2 {

namespace {

std::string owner_and_mode(const struct stat& info) {
  const struct passwd* owner = ::getpwuid(info.st_uid);
  return fmt::format("owner uid {}{}, mode {:04o}", info.st_uid,
                     owner != nullptr ? fmt::format(" ({})", owner->pw_name) : std::string(),
                     info.st_mode & 07777);
}

}  // namespace

std::string file_access_failure(const std::filesystem::path& path, int error_number) {
  const char* name = strerrorname_np(error_number);
  std::string text =
      fmt::format("{} ({})", name != nullptr ? name : "error", std::strerror(error_number));
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) return text + "; " + owner_and_mode(info);
  std::filesystem::path prefix;
  for (const auto& part : path.parent_path()) {
    prefix /= part;
    if (::access(prefix.c_str(), X_OK) != 0 && ::stat(prefix.c_str(), &info) == 0) {
      return fmt::format("{}; {} is closed to this user ({})", text, prefix.string(),
                         owner_and_mode(info));
    }
  }
  return text;
}

}  // namespace mailoauth::oauth2
