// A directory of a test's own under $TMPDIR, removed with everything in it
// when the test ends: for tests of code that writes files (the spool, the
// token store, atomic writes). Header-only; tests include it by relative path.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <string>
#include <system_error>

namespace mailoauth::testing {

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mailoauth-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Entries in a directory (0 when it does not exist).
inline std::size_t entry_count(const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::directory_iterator iterator(directory, error);
  if (error) return 0;
  return static_cast<std::size_t>(std::distance(iterator, std::filesystem::directory_iterator()));
}

}  // namespace mailoauth::testing
