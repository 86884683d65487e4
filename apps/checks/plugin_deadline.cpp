// plugin_deadline.hpp: the alarm and its async-signal-safe handler.
#include "plugin_deadline.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <unistd.h>

namespace mailoauth::checks {
namespace {

std::atomic<const char*> current_stage{"starting"};
const char* program_name = "check";
char seconds_text[32] = "0";
std::chrono::steady_clock::time_point deadline;

void say(const char* text) {
  [[maybe_unused]] const ssize_t written = ::write(STDOUT_FILENO, text, std::strlen(text));
}

void on_alarm(int) {
  say("CRITICAL: ");
  say(program_name);
  say(": timed out after ");
  say(seconds_text);
  say(" s while ");
  say(current_stage.load());
  say("\n");
  ::_exit(2);
}

}  // namespace

void arm_plugin_deadline(int seconds, const char* program) {
  if (seconds < 1) seconds = 1;
  program_name = program;
  std::snprintf(seconds_text, sizeof seconds_text, "%d", seconds);
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  struct sigaction action {};
  action.sa_handler = on_alarm;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGALRM, &action, nullptr);
  ::alarm(static_cast<unsigned>(seconds));
}

void set_plugin_stage(const char* stage) {
  current_stage.store(stage);
}

std::chrono::milliseconds plugin_time_left() {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

}  // namespace mailoauth::checks
