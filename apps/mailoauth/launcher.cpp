// The `mailoauth` executable: a launcher that looks at the command word and
// execs the program that implements it (launch.hpp): mailoauth-send,
// mailoauth-imap, mailoauth-relay, mailoauth-queue, mailoauth-doctor, or
// mailoauth-cli for the account and token commands. It links only libc
// (statically where the build allows), so the exec costs ~0.4 ms of CPU,
// where loading the whole CLI first cost ~2 ms (bench/results/send.md). It
// holds no secret and parses nothing else; each program it runs hardens
// itself (core/process_hardening.hpp).
#include "launch.hpp"

int main(int argc, char** argv) {
  const char* program = mailoauth::app::program_for_command(argc, argv);
  return mailoauth::app::exec_program(argv, program != nullptr ? program : "mailoauth-cli");
}
