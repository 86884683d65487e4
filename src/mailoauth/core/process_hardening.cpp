// prctl/setrlimit and the std::terminate handler of process_hardening.hpp.
// The handler runs with the stack not unwound; it formats one line, writes it
// with write(2) and leaves with _exit, touching nothing else.
#include "mailoauth/core/process_hardening.hpp"

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>

#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::core {

namespace {

ProgramKind g_kind = ProgramKind::Tool;

std::string escaped_what() {
  const std::exception_ptr current = std::current_exception();
  if (!current) return "terminated without an exception";
  try {
    std::rethrow_exception(current);
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "an exception of unknown type";
  }
}

[[noreturn]] void on_terminate() {
  const auto report =
      report_escaped_exception(g_kind, program_invocation_short_name, escaped_what());
  const int fd = report.stream == "stdout" ? STDOUT_FILENO : STDERR_FILENO;
  std::fflush(stdout);  // what the program printed before stays before this line
  std::string_view text = report.text;
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) break;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  ::_exit(report.exit_code);
}

}  // namespace

EscapedExceptionReport report_escaped_exception(ProgramKind kind, std::string_view program,
                                                std::string_view what) {
  const std::string cause = escape_control_characters(what.substr(0, 1000));
  if (kind == ProgramKind::Plugin) {
    // Nagios UNKNOWN: an internal failure (Monitoring Plugins guidelines).
    return {"stdout", fmt::format("UNKNOWN: internal error: {} \n", cause), 3};
  }
  return {"stderr", fmt::format("{}: internal error: {}\n", program, cause), kExitSoftware};
}

void harden_process(ProgramKind kind) {
  g_kind = kind;
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  std::set_terminate(on_terminate);
}

}  // namespace mailoauth::core
