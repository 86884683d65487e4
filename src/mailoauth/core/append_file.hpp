// A file written by appending, as list-emails writes its reports and log
// (check-mail opens them O_APPEND|O_CREATE|O_WRONLY, 0600, in directories it
// makes 0700): the directory is created if missing, bytes are appended with
// every short write retried, and close() fsyncs so a report that was said to
// be written is on disk. RAII: the descriptor is closed in the destructor.
// A mode is set only on a file it creates (an existing file keeps its own).
#pragma once

#include <filesystem>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::core {

// mkdir -p with `mode` for the directories it creates.
Result<void> make_directories(const std::filesystem::path& directory, unsigned mode = 0700);

class AppendFile {
 public:
  static Result<AppendFile> open(const std::filesystem::path& path, unsigned mode = 0600);
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&& other) noexcept;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile();

  Result<void> append(std::string_view bytes);
  Result<void> close();  // fsync, then close
  const std::filesystem::path& path() const { return path_; }

 private:
  AppendFile(int descriptor, std::filesystem::path path)
      : descriptor_(descriptor), path_(std::move(path)) {}
  int descriptor_ = -1;
  std::filesystem::path path_;
};

}  // namespace mailoauth::core
