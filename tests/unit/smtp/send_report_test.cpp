// Reading a finished transaction: queue ids as Postfix, Dovecot, Exchange and
// Gmail word them, and outcome() picking the refusal that matters.
#include "mailoauth/smtp/send_report.hpp"

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

Reply reply(int code, std::string text) {
  Reply r;
  r.code = code;
  r.enhanced_status = parse_enhanced_status(text, code);
  r.lines = {std::move(text)};
  return r;
}

TEST(SendReportTest, QueueIdsOfTheUsualServers) {
  EXPECT_EQ(queue_id_from(reply(250, "2.0.0 Ok: queued as 4Q9ZxK1y2Mz3")), "4Q9ZxK1y2Mz3");
  EXPECT_EQ(queue_id_from(reply(250,
                                "2.0.0 OK <DM6PR01MB1234.namprd01.prod.outlook.com> "
                                "[Hostname=DM6PR01MB1234.namprd01.prod.outlook.com]")),
            "DM6PR01MB1234.namprd01.prod.outlook.com");
  EXPECT_EQ(
      queue_id_from(reply(250, "2.0.0 OK  1701234567 a1-20020a05600c000100b0040b2c4 - gsmtp")),
      "a1-20020a05600c000100b0040b2c4");
  EXPECT_EQ(queue_id_from(reply(250, "Ok")), "");
}

TEST(SendReportParseTest, SecurityNames) {
  EXPECT_EQ(parse_security("implicit").value(), Security::Implicit);
  EXPECT_EQ(parse_security("SSL").value(), Security::Implicit);
  EXPECT_EQ(parse_security("starttls").value(), Security::StartTls);
  EXPECT_EQ(parse_security("none").value(), Security::None);
  auto bad = parse_security("maybe");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), "smtp.bad_security");
  EXPECT_EQ(to_string(Security::StartTls), "starttls");
}

TEST(SendReportTest, PartlyRefusedRecipientsStillDelivered) {
  SendReport report;
  report.mail_reply = reply(250, "2.1.0 Ok");
  report.recipients = {{"a@x", reply(250, "2.1.5 Ok")}, {"b@x", reply(550, "5.1.1 no such user")}};
  report.data_reply = reply(250, "2.0.0 Ok: queued as A");
  EXPECT_TRUE(report.delivered());
  EXPECT_EQ(report.accepted_count(), 1u);
  EXPECT_TRUE(report.outcome().has_value());
}

TEST(SendReportTest, OutcomeNamesTheFirstRefusal) {
  SendReport mail_refused;
  mail_refused.mail_reply = reply(530, "5.7.57 Client not authenticated to send mail");
  auto outcome = mail_refused.outcome();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_NE(outcome.error().message().find("MAIL FROM"), std::string::npos);

  SendReport all_refused;
  all_refused.mail_reply = reply(250, "2.1.0 Ok");
  all_refused.recipients = {{"b@x", reply(550, "5.1.1 no such user")}};
  outcome = all_refused.outcome();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(outcome.error().message().find("RCPT TO:<b@x>"), std::string::npos)
      << outcome.error().message();

  SendReport throttled;
  throttled.mail_reply = reply(250, "2.1.0 Ok");
  throttled.recipients = {{"a@x", reply(250, "2.1.5 Ok")}};
  throttled.data_reply = reply(451, "4.3.2 Please try again later");
  outcome = throttled.outcome();
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_NE(outcome.error().message().find("end of DATA"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::smtp
