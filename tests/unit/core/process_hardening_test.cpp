// process_hardening: after harden_process() the process cannot dump core
// (not dumpable, RLIMIT_CORE 0), and an exception that escapes main becomes
// the program's own answer instead of abort(): a plugin's first line on
// stdout is `UNKNOWN: internal error: <cause>` with exit 3, a tool's stderr
// names the cause with exit 70. Each case runs in a forked child, since the
// hardening and the terminate handler are process-wide.
#include "mailoauth/core/process_hardening.hpp"

#include <filesystem>
#include <string>
#include <system_error>

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace mailoauth::core {
namespace {

struct ChildResult {
  int status = 0;
  std::string stdout_text;
  std::string stderr_text;
};

// What escapes `body` escapes to std::terminate, as from main (GoogleTest
// would otherwise catch it in the test body).
template <class Body>
void without_catch(Body& body) noexcept {
  body();
}

// Runs `body` in a child with stdout and stderr captured.
template <class Body>
ChildResult run_in_child(Body body) {
  int out[2], err[2];
  EXPECT_EQ(::pipe(out), 0);
  EXPECT_EQ(::pipe(err), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    ::close(out[0]);
    ::close(err[0]);
    without_catch(body);
    ::_exit(0);
  }
  ::close(out[1]);
  ::close(err[1]);
  ChildResult result;
  for (auto [fd, text] : {std::pair{out[0], &result.stdout_text}, {err[0], &result.stderr_text}}) {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
      text->append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
  }
  EXPECT_EQ(::waitpid(pid, &result.status, 0), pid);
  return result;
}

TEST(ProcessHardeningTest, NoCoreDumps) {
  auto result = run_in_child([] {
    harden_process();
    rlimit limit{};
    ::getrlimit(RLIMIT_CORE, &limit);
    ::_exit(::prctl(PR_GET_DUMPABLE) == 0 && limit.rlim_cur == 0 && limit.rlim_max == 0 ? 0 : 1);
  });
  EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0);
}

// The crash of issue 11: a std::filesystem call threw on a directory owned by
// root, the plugin died of signal 6 with nothing on stdout.
TEST(ProcessHardeningTest, APluginAnswersUnknownWithTheCauseInsteadOfAborting) {
  auto result = run_in_child([] {
    harden_process(ProgramKind::Plugin);
    throw std::filesystem::filesystem_error("cannot create directories",
                                            std::filesystem::path("/root/.local/state/mailoauth"),
                                            std::make_error_code(std::errc::permission_denied));
  });
  ASSERT_TRUE(WIFEXITED(result.status)) << "killed by signal " << WTERMSIG(result.status);
  EXPECT_EQ(WEXITSTATUS(result.status), 3);
  const std::string first_line = result.stdout_text.substr(0, result.stdout_text.find('\n'));
  EXPECT_TRUE(first_line.starts_with("UNKNOWN: internal error: ")) << first_line;
  EXPECT_NE(first_line.find("Permission denied"), std::string::npos) << first_line;
  EXPECT_NE(first_line.find("/root/.local/state/mailoauth"), std::string::npos) << first_line;
}

TEST(ProcessHardeningTest, AToolNamesTheCauseOnStderrWithExit70) {
  auto result = run_in_child([] {
    harden_process(ProgramKind::Tool);
    throw std::runtime_error("broken\r\ninvariant");
  });
  ASSERT_TRUE(WIFEXITED(result.status)) << "killed by signal " << WTERMSIG(result.status);
  EXPECT_EQ(WEXITSTATUS(result.status), 70);
  EXPECT_TRUE(result.stdout_text.empty());
  EXPECT_NE(result.stderr_text.find(": internal error: broken\\r\\ninvariant\n"), std::string::npos)
      << result.stderr_text;
}

}  // namespace
}  // namespace mailoauth::core
