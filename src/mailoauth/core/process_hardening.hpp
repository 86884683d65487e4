// What every program that can hold a secret does first, in one call at the top
// of its main(): no core dumps (PR_SET_DUMPABLE 0 and RLIMIT_CORE 0; a crash
// core of a process holding a client secret or a refresh token hands them to
// whoever reads /var/crash or the coredump store; not dumpable also keeps other
// processes of the same user from ptrace-reading its memory), and an edge for
// exceptions that escaped every catch: instead of abort() (signal 6, a Nagios
// "no output", a core file), the program says what happened in its own way and
// exits with its code. A plugin prints `UNKNOWN: <cause>` as its first line on
// stdout and exits 3; a tool prints `<program>: internal error: <cause>` on
// stderr and exits 70 (EX_SOFTWARE).
//
// The exception edge is a std::terminate handler rather than a try/catch in
// each main: one line per main, and it also catches what escapes a thread or
// a noexcept function. Errors a peer or the disk can cause are Results, not
// exceptions; this is for bugs and for library calls that throw unexpectedly.
#pragma once

#include <string>
#include <string_view>

namespace mailoauth::core {

enum class ProgramKind {
  Tool,    // stderr, exit 70
  Plugin,  // Nagios: stdout "UNKNOWN: ...", exit 3
};

void harden_process(ProgramKind kind = ProgramKind::Tool);

// The line and exit code the edge uses for an escaped exception's text
// (tests check the wording without terminating).
struct EscapedExceptionReport {
  std::string_view stream;  // "stdout" or "stderr"
  std::string text;         // with the final newline
  int exit_code;
};
EscapedExceptionReport report_escaped_exception(ProgramKind kind, std::string_view program,
                                                std::string_view what);

}  // namespace mailoauth::core
