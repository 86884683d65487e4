// launch.hpp's two functions, without the C++ standard library (launcher.cpp
// links only libc): fixed buffers, POSIX calls, messages written with write(2).
#include "launch.hpp"

#include <cerrno>
#include <climits>
#include <cstring>

#include <unistd.h>

namespace mailoauth::app {
namespace {

// apps/common/global_options.cpp's kValueOptions: the global options that
// take a value (tests/cli/mailoauth/test_launcher.sh checks each).
constexpr const char* kValueOptions[] = {"--config", "--state-dir", "--log-level"};

bool is_value_option(const char* word) {
  for (const char* name : kValueOptions) {
    if (std::strcmp(word, name) == 0) return true;
  }
  return false;
}

void say(const char* text) {
  const std::size_t length = std::strlen(text);
  [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, text, length);
}

// The index of argv's command word (see program_for_command), or 0 when there is none.
int command_index(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* word = argv[i];
    if (is_value_option(word)) {
      ++i;  // its value ("--config=FILE" is one word starting with "-")
      continue;
    }
    if (word[0] == '-') continue;
    return i;
  }
  return 0;
}

}  // namespace

const char* program_for_command(int argc, char** argv) {
  const int i = command_index(argc, argv);
  if (i == 0) return nullptr;
  const char* word = argv[i];
  if (std::strcmp(word, "send") == 0 || std::strcmp(word, "sendmail") == 0) return "mailoauth-send";
  if (std::strcmp(word, "imap") == 0) return "mailoauth-imap";
  if (std::strcmp(word, "relay") == 0) return "mailoauth-relay";
  if (std::strcmp(word, "queue") == 0) return "mailoauth-queue";
  if (std::strcmp(word, "doctor") == 0) return "mailoauth-doctor";
  return nullptr;
}

const char* take_check_command(int& argc, char** argv) {
  const int i = command_index(argc, argv);
  if (i == 0 || i + 1 >= argc || std::strcmp(argv[i], "check") != 0) return nullptr;
  const char* plugin = nullptr;
  if (std::strcmp(argv[i + 1], "token") == 0) plugin = "check_oauth_token";
  if (std::strcmp(argv[i + 1], "roundtrip") == 0) plugin = "check_mail_roundtrip";
  if (plugin == nullptr) return nullptr;
  for (int k = i; k + 2 <= argc; ++k) argv[k] = argv[k + 2];  // argv[argc] (null) moves too
  argc -= 2;
  return plugin;
}

int exec_program(char** argv, const char* program) {
  char* const saved_name = argv[0];
  argv[0] = const_cast<char*>(program);
  char self[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  const std::size_t name_length = std::strlen(program);
  if (length > 0) {
    self[length] = '\0';
    char* slash = std::strrchr(self, '/');
    if (slash != nullptr && (slash - self) + 1 + name_length < sizeof self) {
      std::memcpy(slash + 1, program, name_length + 1);
      ::execv(self, argv);
    }
  }
  ::execvp(program, argv);
  const int error = errno;
  argv[0] = saved_name;
  say("mailoauth: cannot run ");
  say(program);
  say(" (");
  say(std::strerror(error));
  say("): it is installed next to mailoauth\n");
  return 78;  // core::kExitConfig, without including core/error.hpp
}

}  // namespace mailoauth::app
