// Tests for atomic_write_file, with failures injected through the SystemCalls
// seam at every step: after each failure the old file must hold its old contents,
// no temporary file may be left, and the error must name the step and the cause.
#include "mailoauth/core/file_write.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../../support/failing_calls.hpp"
#include "../../support/temporary_directory.hpp"

namespace mailoauth::core {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream contents;
  contents << stream.rdbuf();
  return contents.str();
}

using testing::FailingCalls;
using testing::TemporaryDirectory;

std::size_t entry_count(const TemporaryDirectory& directory) {
  return testing::entry_count(directory.path());
}

TEST(AtomicWriteFileTest, CreatesFileWithContentsAndMode) {
  TemporaryDirectory directory;
  const fs::path target = directory.path() / "tokens.json";
  ASSERT_TRUE(atomic_write_file(target, "{\"a\":1}", 0600).has_value());
  EXPECT_EQ(read_file(target), "{\"a\":1}");
  struct stat info {};
  ASSERT_EQ(stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(entry_count(directory), 1u);
}

TEST(AtomicWriteFileTest, ReplacesExistingFile) {
  TemporaryDirectory directory;
  const fs::path target = directory.path() / "state";
  ASSERT_TRUE(atomic_write_file(target, "old", 0644).has_value());
  ASSERT_TRUE(atomic_write_file(target, "new contents", 0640).has_value());
  EXPECT_EQ(read_file(target), "new contents");
  struct stat info {};
  ASSERT_EQ(stat(target.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0640u);
}

TEST(AtomicWriteFileTest, ShortWritesStillWriteEverything) {
  TemporaryDirectory directory;
  class ShortWrites : public SystemCalls {
   public:
    ssize_t write(int fd, const void* data, std::size_t size) override {
      return SystemCalls::write(fd, data, size > 3 ? 3 : size);
    }
  } short_writes;
  const fs::path target = directory.path() / "file";
  ASSERT_TRUE(atomic_write_file(target, "0123456789abcdef", 0600, short_writes).has_value());
  EXPECT_EQ(read_file(target), "0123456789abcdef");
}

struct FailureCase {
  std::string_view name;
  FailingCalls::Step step;
  int error_number;
  std::string_view code;
  ErrorClass error_class;
  bool new_contents_in_place;  // only a failed directory fsync comes after the rename
};

// Names the case in test listings (and so in ctest's test names).
void PrintTo(const FailureCase& failure, std::ostream* stream) {
  *stream << failure.name;
}

class AtomicWriteFailureTest : public ::testing::TestWithParam<FailureCase> {};

TEST_P(AtomicWriteFailureTest, OldFileSurvivesAndNoTemporaryIsLeft) {
  const FailureCase& failure = GetParam();
  TemporaryDirectory directory;
  const fs::path target = directory.path() / "tokens.db";
  ASSERT_TRUE(atomic_write_file(target, "the old, precious contents", 0600).has_value());

  FailingCalls calls(failure.step, failure.error_number);
  calls.write_at_most(1);  // short writes before the failure too
  auto result = atomic_write_file(target, "new", 0600, calls);

  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), failure.code);
  EXPECT_EQ(result.error().error_class(), failure.error_class);
  EXPECT_NE(result.error().message().find(std::strerror(failure.error_number)), std::string::npos)
      << result.error().message();
  EXPECT_EQ(read_file(target),
            failure.new_contents_in_place ? "new" : "the old, precious contents");
  EXPECT_EQ(entry_count(directory), 1u) << "a temporary file was left behind";
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, AtomicWriteFailureTest,
    ::testing::Values(FailureCase{"create_EACCES", FailingCalls::Step::Open, EACCES, "file.create",
                                  ErrorClass::Config, false},
                      FailureCase{"chmod_EPERM", FailingCalls::Step::Fchmod, EPERM, "file.chmod",
                                  ErrorClass::Config, false},
                      FailureCase{"write_ENOSPC", FailingCalls::Step::Write, ENOSPC, "file.write",
                                  ErrorClass::Temporary, false},
                      FailureCase{"write_EIO", FailingCalls::Step::Write, EIO, "file.write",
                                  ErrorClass::Temporary, false},
                      FailureCase{"fsync_EIO", FailingCalls::Step::Fsync, EIO, "file.fsync",
                                  ErrorClass::Temporary, false},
                      FailureCase{"close_EIO", FailingCalls::Step::Close, EIO, "file.close",
                                  ErrorClass::Temporary, false},
                      FailureCase{"rename_EXDEV", FailingCalls::Step::Rename, EXDEV, "file.rename",
                                  ErrorClass::Temporary, false},
                      FailureCase{"directory_fsync_EIO", FailingCalls::Step::DirectoryFsync, EIO,
                                  "file.fsync_directory", ErrorClass::Temporary, true}),
    [](const ::testing::TestParamInfo<FailureCase>& param_info) {
      return std::string(param_info.param.name);
    });

TEST(AtomicWriteFileTest, FullDiskErrorSaysWhatToDo) {
  TemporaryDirectory directory;
  FailingCalls calls(FailingCalls::Step::Write, ENOSPC);
  auto result = atomic_write_file(directory.path() / "x", "data", 0600, calls);
  ASSERT_FALSE(result.has_value());
  EXPECT_NE(result.error().remedy().find("free disk space"), std::string::npos);
}

TEST(AtomicWriteFileTest, MissingDirectoryIsAConfigError) {
  TemporaryDirectory directory;
  auto result = atomic_write_file(directory.path() / "no-such-dir" / "file", "data", 0600);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().error_class(), ErrorClass::Config);
  EXPECT_EQ(result.error().code(), "file.create");
}

TEST(AtomicWriteFileTest, ClassifiesErrno) {
  EXPECT_EQ(classify_errno(ENOSPC), ErrorClass::Temporary);
  EXPECT_EQ(classify_errno(EIO), ErrorClass::Temporary);
  EXPECT_EQ(classify_errno(EACCES), ErrorClass::Config);
  EXPECT_EQ(classify_errno(EROFS), ErrorClass::Config);
}

}  // namespace
}  // namespace mailoauth::core
