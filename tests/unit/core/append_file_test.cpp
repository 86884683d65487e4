// AppendFile: created 0600 in directories made 0700, appended to (never
// truncated) across opens, and a missing directory reported with its path.
#include "mailoauth/core/append_file.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace mailoauth::core {
namespace {

std::string read(const std::filesystem::path& path) {
  std::ifstream stream(path);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0);
  return info.st_mode & 0777;
}

TEST(AppendFile, CreatesPrivateFilesAndAppends) {
  const auto base =
      std::filesystem::temp_directory_path() / ("append_file_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  const auto directory = base / "a" / "b";
  ASSERT_TRUE(make_directories(directory));
  EXPECT_EQ(mode_of(base / "a"), 0700u);
  EXPECT_EQ(mode_of(directory), 0700u);
  for (const char* text : {"one\n", "two\n"}) {
    auto file = AppendFile::open(directory / "report.txt");
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->append(text));
    ASSERT_TRUE(file->close());
  }
  EXPECT_EQ(read(directory / "report.txt"), "one\ntwo\n");
  EXPECT_EQ(mode_of(directory / "report.txt"), 0600u);
  ASSERT_TRUE(make_directories(directory));  // existing: fine
  std::filesystem::remove_all(base);
}

TEST(AppendFile, MissingDirectoryIsAnError) {
  auto file = AppendFile::open("/nonexistent-dir-mailoauth/x.txt");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message().find("/nonexistent-dir-mailoauth/x.txt"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::core
