// Test helper: runs child processes that start at the same instant, for the
// races of a first use (several cron jobs or checks starting together). The
// children block on a pipe and are released when the parent closes it, so no
// test waits on a clock; each child's work is a function returning its exit
// code, and the parent collects every exit status.
#pragma once

#include <functional>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace mailoauth::testing {

// Exit codes of `count` children running `child(index)`; -1 for a child that
// did not exit normally (or could not be forked).
inline std::vector<int> run_processes_together(int count, const std::function<int(int)>& child) {
  int gate[2];
  if (::pipe(gate) != 0) return std::vector<int>(static_cast<std::size_t>(count), -1);
  std::vector<pid_t> children;
  for (int i = 0; i < count; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(gate[1]);
      char byte = 0;
      (void)!::read(gate[0], &byte, 1);  // returns 0 once the parent closes its end
      ::_exit(child(i));
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  ::close(gate[1]);  // go
  std::vector<int> codes;
  for (pid_t pid : children) {
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
      codes.push_back(-1);
    } else {
      codes.push_back(WEXITSTATUS(status));
    }
  }
  return codes;
}

}  // namespace mailoauth::testing
