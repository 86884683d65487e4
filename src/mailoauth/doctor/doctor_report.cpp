// The doctor's report: the planned steps, failing one, the exit code and the
// text and JSON renderings (see the header).
#include "mailoauth/doctor/doctor_report.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mailoauth::doctor {

std::string_view to_string(StepName name) {
  switch (name) {
    case StepName::Configuration:
      return "configuration";
    case StepName::Dns:
      return "dns";
    case StepName::Tcp:
      return "tcp";
    case StepName::Tls:
      return "tls";
    case StepName::Greeting:
      return "greeting";
    case StepName::Token:
      return "token";
    case StepName::Authentication:
      return "authentication";
    case StepName::Mailbox:
      return "mailbox";
    case StepName::SendTest:
      return "send_test";
  }
  return "unknown";
}

std::string_view to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::Passed:
      return "passed";
    case Verdict::Warning:
      return "warning";
    case Verdict::Failed:
      return "failed";
    case Verdict::NotReached:
      return "not_reached";
    case Verdict::Skipped:
      return "skipped";
  }
  return "unknown";
}

const Step* Report::failure() const {
  for (const Step& step : steps) {
    if (step.verdict == Verdict::Failed) return &step;
  }
  return nullptr;
}

namespace {

std::string greeting_check(std::string_view protocol) {
  if (protocol == "imap") {
    return "the greeting and CAPABILITY: AUTH=XOAUTH2 or AUTH=OAUTHBEARER offered";
  }
  return "the 220 greeting and EHLO: XOAUTH2 or OAUTHBEARER among the AUTH mechanisms";
}

std::string authentication_check(std::string_view protocol) {
  if (protocol == "imap") return "AUTHENTICATE with the token";
  if (protocol == "graph") return "Microsoft Graph accepts the token (no 401)";
  return "AUTH with the token";
}

std::string mailbox_check(std::string_view protocol) {
  if (protocol == "imap") {
    return "EXAMINE INBOX (SELECT, read-only): the authenticated user can open the mailbox";
  }
  if (protocol == "graph") {
    return "sendMail for the mailbox with a message that has no recipient: Graph checks the "
           "token, the mailbox and the permission to send as it, then refuses the message "
           "(400 ErrorInvalidRecipients), so nothing is sent";
  }
  return "MAIL FROM the mailbox and one RCPT TO, then RSET: the server would take mail from "
         "this mailbox (nothing is sent)";
}

}  // namespace

std::vector<Step> planned_steps(std::string_view protocol, bool send_test) {
  std::vector<Step> steps;
  auto add = [&steps](StepName name, std::string checked) {
    Step step;
    step.name = name;
    step.checked = std::move(checked);
    steps.push_back(std::move(step));
  };
  add(StepName::Configuration,
      "the account resolves; its files are readable and private; its client secret or "
      "certificate is present and not expired (warned 30 days ahead)");
  add(StepName::Dns, "the server's name resolves (A/AAAA)");
  add(StepName::Tcp, "a TCP connection to the server's port opens");
  add(StepName::Tls,
      "TLS: version, cipher, the certificate chain and the host name verified, the "
      "certificate's expiry; STARTTLS offered where it is used");
  add(StepName::Greeting, protocol == "graph" ? "Graph has no greeting" : greeting_check(protocol));
  if (protocol == "graph") steps.back().verdict = Verdict::Skipped;
  add(StepName::Token,
      fmt::format("an access token is obtained, and its claims (audience, scp or roles, "
                  "tenant, subject, expiry) are what {} needs",
                  protocol == "graph"  ? "Graph sendMail"
                  : protocol == "imap" ? "IMAP AUTHENTICATE"
                                       : "SMTP AUTH"));
  add(StepName::Authentication, authentication_check(protocol));
  add(StepName::Mailbox, mailbox_check(protocol));
  if (send_test) add(StepName::SendTest, "one test message is sent");
  return steps;
}

void fail_step(Step& step, const core::Error& error, std::string_view fallback_remedy) {
  step.verdict = Verdict::Failed;
  step.cause = error.message();
  step.remedy = error.remedy().empty() ? std::string(fallback_remedy) : error.remedy();
  step.error_code = error.code();
  step.error_class = error.error_class();
}

int exit_code(const Report& report) {
  const Step* failed = report.failure();
  if (failed == nullptr) return core::kExitOk;
  return core::policy_for(failed->error_class.value_or(core::ErrorClass::Permanent)).exit_code;
}

namespace {

std::string_view result_of(const Report& report) {
  if (report.failure() != nullptr) return "failed";
  for (const Step& step : report.steps) {
    if (step.verdict == Verdict::Warning) return "warning";
  }
  return "passed";
}

std::string_view text_verdict(Verdict verdict) {
  switch (verdict) {
    case Verdict::Passed:
      return "ok";
    case Verdict::Warning:
      return "WARNING";
    case Verdict::Failed:
      return "FAILED";
    case Verdict::NotReached:
      return "not reached";
    case Verdict::Skipped:
      return "skipped";
  }
  return "?";
}

}  // namespace

std::string render_text(const Report& report) {
  std::string out = fmt::format("mailoauth doctor: account {}, {} via {}\n", report.account,
                                report.protocol, report.server);
  for (std::size_t i = 0; i < report.steps.size(); ++i) {
    const Step& step = report.steps[i];
    out += fmt::format("{}. {}: {}\n", i + 1, to_string(step.name), text_verdict(step.verdict));
    if (step.verdict == Verdict::NotReached) continue;
    out += fmt::format("   checked: {}\n", step.checked);
    for (const std::string& fact : step.found) out += fmt::format("   found: {}\n", fact);
    if (!step.cause.empty()) out += fmt::format("   cause: {}\n", step.cause);
    if (!step.remedy.empty()) out += fmt::format("   next step: {}\n", step.remedy);
  }
  if (const Step* failed = report.failure()) {
    out +=
        fmt::format("result: FAILED at {} (exit {})\n", to_string(failed->name), exit_code(report));
  } else if (result_of(report) == "warning") {
    out += "result: passed, with warnings\n";
  } else {
    out += "result: passed\n";
  }
  return out;
}

std::string render_json(const Report& report) {
  using nlohmann::json;
  auto text_or_null = [](const std::string& text) -> json {
    return text.empty() ? json(nullptr) : json(text);
  };
  json steps = json::array();
  for (std::size_t i = 0; i < report.steps.size(); ++i) {
    const Step& step = report.steps[i];
    json item = json::object();
    item["number"] = i + 1;
    item["step"] = to_string(step.name);
    item["verdict"] = to_string(step.verdict);
    item["checked"] = step.checked;
    item["found"] = step.found;
    item["cause"] = text_or_null(step.cause);
    item["remedy"] = text_or_null(step.remedy);
    item["error_code"] = text_or_null(step.error_code);
    item["error_class"] =
        step.error_class ? json(std::string(core::to_string(*step.error_class))) : json(nullptr);
    steps.push_back(std::move(item));
  }
  const Step* failed = report.failure();
  json out = json::object();
  out["account"] = report.account;
  out["protocol"] = report.protocol;
  out["server"] = report.server;
  out["result"] = result_of(report);
  out["failed_step"] =
      failed != nullptr ? json(std::string(to_string(failed->name))) : json(nullptr);
  out["exit_code"] = exit_code(report);
  out["steps"] = std::move(steps);
  // ensure_ascii off, invalid UTF-8 replaced: server text may hold anything.
  return out.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace mailoauth::doctor
