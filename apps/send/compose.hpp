// Building a message from options needs GMime, and GMime with glib, gio,
// gpgme and their dozen libraries costs 2.5 ms of CPU at every start of a
// program that links it, whether it builds a message or not (measured for
// issue 11; bench/results/send.md). Sending a ready message (`send --raw`,
// sendmail mode, cron, PHP) should not pay for it. So the same sources make
// two programs: `mailoauth-send` without GMime (compose_exec.cpp), which
// execs `mailoauth-send-compose` (message_compose.cpp, GMime) with the same
// arguments when a message is to be built, before reading anything.
#pragma once

#include "mailoauth/core/error.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/account.hpp"

#include "send_command.hpp"

namespace mailoauth::send {

// Whether this program builds messages itself.
bool can_compose();

// Runs mailoauth-send-compose (next to this program, else on PATH) with
// these arguments; returns only when it could not, with the exit code.
int run_composer(char** argv);

// The message built from the options with GMime (mailoauth-send-compose only).
core::Result<mime::Message> composed_message(const SendOptions& options,
                                             const oauth2::Account* account);

}  // namespace mailoauth::send
