// The doctor's report, byte for byte against golden/ (text and JSON): a
// healthy walk, a walk stopped at TCP with the rest not reached, a warning;
// the exit code from the failed step's class; the steps each protocol plans.
#include "mailoauth/doctor/doctor_report.hpp"

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "../compat/golden.hpp"

namespace mailoauth::doctor {
namespace {

using compat::testing::golden;

// Compares with golden/NAME; MAILOAUTH_UPDATE_GOLDEN=1 writes it instead
// (then review the diff before committing it).
void expect_golden(const std::string& actual, const std::string& name) {
  if (std::getenv("MAILOAUTH_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(std::string(MAILOAUTH_UNIT_TEST_DIR) + "/golden/" + name, std::ios::binary)
        << actual;
  }
  EXPECT_EQ(actual, golden(name));
}

Report healthy_smtp() {
  Report report;
  report.account = "work";
  report.protocol = "smtp";
  report.server = "smtp.office365.com:587 (starttls)";
  report.steps = planned_steps("smtp", false);
  const std::vector<std::vector<std::string>> facts = {
      {"account work (microsoft, app flow, mailbox printer@contoso.com)"},
      {"smtp.office365.com has 52.97.1.2"},
      {"connected to 52.97.1.2 port 587"},
      {"STARTTLS offered and used (EHLO again over TLS)", "TLSv1.3 TLS_AES_256_GCM_SHA384"},
      {"AUTH mechanisms: LOGIN XOAUTH2"},
      {"aud: https://outlook.office365.com",
       "SMTP AUTH needs SMTP.SendAsApp (application role): present"},
      {"AUTH XOAUTH2 as printer@contoso.com: 2.7.0 Authentication successful"},
      {"MAIL FROM:<printer@contoso.com>: 250 2.1.0 Sender OK", "RSET: nothing was sent"},
  };
  for (std::size_t i = 0; i < report.steps.size(); ++i) {
    report.steps[i].verdict = Verdict::Passed;
    report.steps[i].found = facts[i];
  }
  return report;
}

Report refused_at_tcp() {
  Report report;
  report.account = "box";
  report.protocol = "imap";
  report.server = "127.0.0.1:1 (implicit)";
  report.steps = planned_steps("imap", false);
  report.steps[0].verdict = Verdict::Passed;
  report.steps[1].verdict = Verdict::Passed;
  report.steps[1].found = {"127.0.0.1 has 127.0.0.1"};
  report.steps[2].found = {"127.0.0.1: Connection refused"};
  fail_step(report.steps[2], core::Error(core::ErrorClass::Temporary, "doctor.tcp_refused",
                                         "127.0.0.1:1 refused the connection", "check the port"));
  return report;
}

TEST(DoctorReport, HealthyWalkAsText) {
  expect_golden(render_text(healthy_smtp()), "healthy_smtp.txt");
}

TEST(DoctorReport, HealthyWalkAsJson) {
  expect_golden(render_json(healthy_smtp()), "healthy_smtp.json");
}

TEST(DoctorReport, StoppedWalkAsText) {
  expect_golden(render_text(refused_at_tcp()), "refused_at_tcp.txt");
}

TEST(DoctorReport, StoppedWalkAsJson) {
  expect_golden(render_json(refused_at_tcp()), "refused_at_tcp.json");
}

TEST(DoctorReport, ExitCodeFollowsTheFailedStepsClass) {
  Report report = refused_at_tcp();
  EXPECT_EQ(exit_code(report), core::kExitTempFail);
  report.steps[2].error_class = core::ErrorClass::Config;
  EXPECT_EQ(exit_code(report), core::kExitConfig);
  report.steps[2].error_class = core::ErrorClass::Permanent;
  EXPECT_EQ(exit_code(report), core::kExitUnavailable);
  EXPECT_EQ(exit_code(healthy_smtp()), core::kExitOk);
}

TEST(DoctorReport, AWarningPassesWithExitZeroAndSaysSo) {
  Report report = healthy_smtp();
  report.steps[0].verdict = Verdict::Warning;
  report.steps[0].cause = "the client secret expires in 12 days";
  report.steps[0].remedy = "mailoauth account secret work --expires 2027-06-30 < new.txt";
  EXPECT_EQ(exit_code(report), 0);
  const std::string text = render_text(report);
  EXPECT_NE(text.find("1. configuration: WARNING\n"), std::string::npos) << text;
  EXPECT_NE(text.find("   cause: the client secret expires in 12 days\n"), std::string::npos);
  EXPECT_NE(text.find("result: passed, with warnings\n"), std::string::npos);
  EXPECT_NE(render_json(report).find("\"result\":\"warning\""), std::string::npos);
}

TEST(DoctorReport, FailStepTakesTheErrorsWordsOrTheFallbackRemedy) {
  Step step;
  fail_step(step, core::Error(core::ErrorClass::Permanent, "smtp.x", "refused"), "try Y");
  EXPECT_EQ(step.verdict, Verdict::Failed);
  EXPECT_EQ(step.cause, "refused");
  EXPECT_EQ(step.remedy, "try Y");
  EXPECT_EQ(step.error_code, "smtp.x");
  fail_step(step, core::Error(core::ErrorClass::Config, "a.b", "bad", "fix it"), "try Y");
  EXPECT_EQ(step.remedy, "fix it");
}

TEST(DoctorReport, GraphPlansNoGreetingAndSendTestAddsAStep) {
  const auto graph = planned_steps("graph", true);
  ASSERT_EQ(graph.size(), 9u);
  EXPECT_EQ(graph[4].name, StepName::Greeting);
  EXPECT_EQ(graph[4].verdict, Verdict::Skipped);
  EXPECT_EQ(graph[8].name, StepName::SendTest);
  const auto imap = planned_steps("imap", false);
  ASSERT_EQ(imap.size(), 8u);
  for (const Step& step : imap) EXPECT_EQ(step.verdict, Verdict::NotReached);
  EXPECT_NE(imap[7].checked.find("EXAMINE INBOX"), std::string::npos);
}

TEST(DoctorReport, JsonKeepsServerTextValidUtf8) {
  Report report = refused_at_tcp();
  report.steps[2].cause = std::string("bad \xff byte\x01");
  const std::string json = render_json(report);
  EXPECT_EQ(json.find('\xff'), std::string::npos);
  EXPECT_NE(json.find("\\u0001"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::doctor
