// The -t of mailoauth's native checks, made to hold whatever is running: a
// SIGALRM armed at start that prints "CRITICAL: <program>: timed out after
// N s while <stage>" and exits 2, so Nagios never has to kill the plugin and
// report "(Service check timed out)" with no cause. Each stage's own
// deadline (IMAP, SMTP and HTTP timeouts taken from what is left) should end
// the run first, with a better sentence; this is the backstop. The handler
// only calls write(2) and _exit(2): the message's pieces are made when the
// alarm is armed and the stage is a pointer to a string literal.
#pragma once

#include <chrono>

namespace mailoauth::checks {

// Arms the alarm `seconds` from now (at least 1). `program` must outlive the run.
void arm_plugin_deadline(int seconds, const char* program);

// What the plugin is doing now, for the timeout message ("renewing the token").
void set_plugin_stage(const char* stage);

// Time left until the alarm (zero once past).
std::chrono::milliseconds plugin_time_left();

}  // namespace mailoauth::checks
