// Which program runs a `mailoauth` command line, and running it. `mailoauth`
// itself is a launcher (launcher.cpp) linked with nothing but libc, so that
// `mailoauth send` reaches mailoauth-send without loading libstdc++, SQLite,
// libsodium and the whole CLI first (1.6 ms of CPU per send, bench/send.md);
// `check token|roundtrip` runs the check plugins (check_oauth_token,
// check_mail_roundtrip); every other command runs mailoauth-cli. Plain C++ without the standard
// library on purpose: the launcher must not pull libstdc++ in.
#pragma once

namespace mailoauth::app {

// The program for argv's command word (the first word that is neither a
// global option, -v/--verbose, --config/--state-dir/--log-level and their
// value, nor another option): "mailoauth-send" for send and sendmail,
// "mailoauth-imap" for imap, "mailoauth-relay" for relay, "mailoauth-queue"
// for queue, "mailoauth-doctor" for doctor; nullptr for the rest (the
// commands of mailoauth-cli).
const char* program_for_command(int argc, char** argv);

// `check token ...` and `check roundtrip ...`: "check_oauth_token" or
// "check_mail_roundtrip", with the two command words taken out of argv
// (argc lowered), since the plugins take their own arguments directly;
// nullptr otherwise, argv untouched.
const char* take_check_command(int& argc, char** argv);

// Runs `program` with argv's arguments (argv[0] becomes `program`): the one
// next to this executable, else the first on PATH. Returns only when neither
// could be run, after saying so on stderr, with 78 (configuration).
int exec_program(char** argv, const char* program);

}  // namespace mailoauth::app
