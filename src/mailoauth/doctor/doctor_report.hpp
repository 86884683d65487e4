// What `mailoauth doctor` found, as data, and its two renderings: the text a
// person reads and the one JSON object a script parses. The doctor walks the
// path to a mailbox in a fixed order (configuration, DNS, TCP, TLS, greeting,
// token, authentication, mailbox) and stops at the first fault; every step
// says what it checked and what it found, and the failed one its cause in a
// sentence and the admin's next step. Pure (no I/O, no clock): the runner in
// apps/doctor fills a Report, these functions print it, so the wording and
// the JSON shape have golden tests (tests/unit/doctor/golden/). The exit code
// comes from the failed step's error class through core's one table.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::doctor {

enum class StepName {
  Configuration,
  Dns,
  Tcp,
  Tls,
  Greeting,
  Token,
  Authentication,
  Mailbox,
  SendTest,
};
// "configuration", "dns", "tcp", "tls", "greeting", "token", "authentication",
// "mailbox", "send_test": the names in the JSON and in the text.
std::string_view to_string(StepName name);

enum class Verdict {
  Passed,
  Warning,     // passed, with something to fix before it breaks
  Failed,      // the first fault: the walk stopped here
  NotReached,  // after a fault
  Skipped,     // does not apply (Graph has no greeting)
};
// "passed", "warning", "failed", "not_reached", "skipped".
std::string_view to_string(Verdict verdict);

struct Step {
  StepName name = StepName::Configuration;
  Verdict verdict = Verdict::NotReached;
  std::string checked;                          // what was checked, one sentence
  std::vector<std::string> found;               // facts, one line each (never a secret)
  std::string cause;                            // Failed: why, one sentence; Warning: what to watch
  std::string remedy;                           // Failed or Warning: the admin's next step
  std::string error_code;                       // Failed: the Error's code ("net.connect")
  std::optional<core::ErrorClass> error_class;  // Failed: decides the exit code
};

struct Report {
  std::string account;
  std::string protocol;  // "smtp", "imap", "graph"
  std::string server;    // "host:port", or Graph's base URL
  std::vector<Step> steps;

  // The failed step, if any.
  const Step* failure() const;
};

// The steps of a walk in order, each NotReached with what it will check.
// `send_test`: the extra step that sends one message.
std::vector<Step> planned_steps(std::string_view protocol, bool send_test);

// Marks `step` Failed with the error's message as cause, its remedy (or
// `fallback_remedy` when it has none), code and class.
void fail_step(Step& step, const core::Error& error, std::string_view fallback_remedy = {});

// 0 when no step failed (warnings included), else the failed step's class's
// exit code (core::policy_for).
int exit_code(const Report& report);

// The text: a heading, then per step "N. name: verdict" with its checked,
// found, cause and next-step lines indented, then one result line.
std::string render_text(const Report& report);

// One JSON object and a newline:
// {"account","protocol","server","result":"passed|warning|failed",
//  "failed_step":name|null,"exit_code":n,
//  "steps":[{"number","step","verdict","checked","found":[...],
//            "cause":s|null,"remedy":s|null,"error_code":s|null,"error_class":s|null}]}
std::string render_json(const Report& report);

}  // namespace mailoauth::doctor
