// What the doctor's steps share: finding a step in the report, the TLS
// step's facts (with a warning 30 days before the server's certificate
// expires), and the one test message of --send-test.
#include "walk.hpp"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "mailoauth/mime/message_fields.hpp"

namespace mailoauth::doctor_app {

doctor::Step& Walk::step(doctor::StepName name) {
  for (doctor::Step& step : report.steps) {
    if (step.name == name) return step;
  }
  throw std::logic_error("the doctor's report lacks a step");  // planned_steps has them all
}

void describe_tls(doctor::Step& step, const std::string& protocol, const std::string& cipher,
                  const std::string& subject, const std::string& issuer,
                  const std::optional<core::Clock::WallTime>& not_after, const std::string& host) {
  step.found.push_back(fmt::format("{} {}", protocol, cipher));
  step.found.push_back(fmt::format("certificate {} issued by {}: chain verified, name {} matches",
                                   subject, issuer, host));
  if (!not_after) return;
  const auto now = std::chrono::system_clock::now();
  step.found.push_back(
      fmt::format("certificate valid until {}", core::format_rfc3339_utc(*not_after, false)));
  if (*not_after - now < std::chrono::hours(24 * 30)) {
    step.verdict = doctor::Verdict::Warning;
    step.cause =
        fmt::format("the server's certificate expires in {} days",
                    std::chrono::duration_cast<std::chrono::hours>(*not_after - now).count() / 24);
    step.remedy = "tell the server's operator; clients will refuse the server once it expires";
  }
}

std::string test_message(const std::string& from, const std::string& to) {
  const auto now = std::chrono::system_clock::now();
  return fmt::format(
      "From: <{}>\r\nTo: <{}>\r\nSubject: mailoauth doctor test\r\nDate: {}\r\n"
      "Message-ID: <{}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
      "\r\nThis message was sent by `mailoauth doctor --send-test` to prove that {} can send.\r\n",
      from, to, mime::rfc5322_date(now), mime::make_message_id(mime::domain_of(from)), from);
}

}  // namespace mailoauth::doctor_app
