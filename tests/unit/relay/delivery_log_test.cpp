// The delivery log line's fields (relay/delivery_log): recipients grouped by
// outcome and reply, dsn= from the reply's enhanced code or by status (never
// a code that contradicts the outcome), delays= and delay= formatting, and
// relay= as host[ip]:port for IPv4 and IPv6 peers, "none" unconnected.
#include "mailoauth/relay/delivery_log.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

using namespace std::chrono_literals;
using queue::RecipientStatus;

TEST(DeliveryLogTest, GroupsRecipientsByOutcomeAndReply) {
  queue::DeliveryState state = queue::DeliveryState::fresh(4);
  state.recipients[0] = {RecipientStatus::Sent, 1, "250 2.0.0 Ok: queued as ABC"};
  state.recipients[1] = {RecipientStatus::Failed, 1, "550 5.1.1 <b@x>: unknown user"};
  state.recipients[2] = {RecipientStatus::Sent, 1, "250 2.0.0 Ok: queued as ABC"};
  state.recipients[3] = {RecipientStatus::Deferred, 1, ""};
  const std::vector<std::string> to = {"a@x", "b@x", "c@x", "d@x"};
  const auto groups = delivery_log_groups(state, to, {0, 1, 2, 3}, "connection lost");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].to, "a@x,c@x");
  EXPECT_EQ(groups[0].status, "sent");
  EXPECT_EQ(groups[0].dsn, "2.0.0");
  EXPECT_EQ(groups[0].reply, "250 2.0.0 Ok: queued as ABC");
  EXPECT_EQ(groups[1].to, "b@x");
  EXPECT_EQ(groups[1].status, "bounced");
  EXPECT_EQ(groups[1].dsn, "5.1.1");
  EXPECT_EQ(groups[2].to, "d@x");
  EXPECT_EQ(groups[2].status, "deferred");
  EXPECT_EQ(groups[2].dsn, "4.0.0") << "no code in the reply: by status";
  EXPECT_EQ(groups[2].reply, "connection lost");
  // Only the tried recipients, and an index out of range is skipped.
  const auto some = delivery_log_groups(state, to, {1, 9}, "");
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].to, "b@x");
}

TEST(DeliveryLogTest, DsnNeverContradictsTheOutcome) {
  queue::DeliveryState state = queue::DeliveryState::fresh(1);
  // RCPT got 250 2.1.5, then the content failed: deferred with the 2.x reply kept.
  state.recipients[0] = {RecipientStatus::Deferred, 1, "250 2.1.5 Ok"};
  EXPECT_EQ(delivery_log_groups(state, {"a@x"}, {0}, "")[0].dsn, "4.0.0");
  state.recipients[0] = {RecipientStatus::Deferred, 1, "432 4.3.2 Concurrent connections limit"};
  EXPECT_EQ(delivery_log_groups(state, {"a@x"}, {0}, "")[0].dsn, "4.3.2");
}

TEST(DeliveryLogTest, EnhancedStatusCode) {
  EXPECT_EQ(enhanced_status_code("250 2.0.0 Ok"), "2.0.0");
  EXPECT_EQ(enhanced_status_code("535 5.7.139 Authentication unsuccessful"), "5.7.139");
  EXPECT_EQ(enhanced_status_code("451-4.3.0 more"), "4.3.0");
  EXPECT_EQ(enhanced_status_code("250 2.0.0"), "2.0.0");
  EXPECT_EQ(enhanced_status_code("250 Ok"), "");
  EXPECT_EQ(enhanced_status_code("250 1.0.0 Ok"), "") << "classes are 2, 4 and 5";
  EXPECT_EQ(enhanced_status_code("250 2.0000.0 Ok"), "");
  EXPECT_EQ(enhanced_status_code("250 2.0.0x"), "");
  EXPECT_EQ(enhanced_status_code("HTTP 429"), "");
  EXPECT_EQ(enhanced_status_code(""), "");
}

TEST(DeliveryLogTest, Formats) {
  AttemptTimings timings;
  timings.connect = 120ms;
  timings.auth = 1500ms;
  timings.transfer = 30ms;
  EXPECT_EQ(format_delays(12s, timings), "12.00/0.12/1.50/0.03");
  EXPECT_EQ(format_delays(-1s, AttemptTimings{}), "0.00/0.00/0.00/0.00") << "a clock step back";
  EXPECT_EQ(format_delay(1240ms), "1.2");
  EXPECT_EQ(format_delay(3h), "10800.0");
  EXPECT_EQ(format_relay("smtp.example.com", "192.0.2.1:587"), "smtp.example.com[192.0.2.1]:587");
  EXPECT_EQ(format_relay("smtp.example.com", "[2001:db8::1]:25"),
            "smtp.example.com[2001:db8::1]:25");
  EXPECT_EQ(format_relay("smtp.example.com", ""), "none");
}

}  // namespace
}  // namespace mailoauth::relay
