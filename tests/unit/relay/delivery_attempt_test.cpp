// The scheduler's delivery rules (relay/delivery_attempt), as pure functions:
// the backoff schedule, which replies are throttling, and how a SendReport or
// a failure becomes per-recipient state — accepted → sent, 5xx → failed, 4xx
// and anything the upstream did not decide → deferred, never failed; the
// queue lifetime; and that recipients already sent are never pending again.
#include "mailoauth/relay/delivery_attempt.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/queue/spool_record.hpp"

namespace mailoauth::relay {
namespace {

using queue::RecipientStatus;
using std::chrono::seconds;

smtp::Reply reply(int code, std::string text) {
  smtp::Reply made;
  made.code = code;
  made.enhanced_status = smtp::parse_enhanced_status(text, code);
  made.lines.push_back(std::move(text));
  return made;
}

smtp::SendReport report(std::vector<smtp::Reply> rcpts, std::optional<smtp::Reply> data) {
  smtp::SendReport made;
  made.mail_reply = reply(250, "2.1.0 Ok");
  for (auto& r : rcpts) made.recipients.push_back({"x@example.test", std::move(r)});
  made.data_reply = std::move(data);
  return made;
}

TEST(RetryDelay, FollowsTheScheduleThenStaysAtTheLongestStep) {
  const seconds minute{60};
  EXPECT_EQ(retry_delay(1, minute), seconds(60));
  EXPECT_EQ(retry_delay(2, minute), seconds(300));
  EXPECT_EQ(retry_delay(3, minute), seconds(900));
  EXPECT_EQ(retry_delay(5, minute), seconds(3600));
  EXPECT_EQ(retry_delay(7, minute), seconds(4 * 3600));
  EXPECT_EQ(retry_delay(30, minute), seconds(4 * 3600));
  EXPECT_EQ(retry_delay(2, seconds(1)), seconds(5));  // tests scale it down
}

TEST(IsThrottling, KnowsExchangesAndGenericThrottlingReplies) {
  EXPECT_TRUE(is_throttling(reply(432, "4.3.2 Concurrent connections limit exceeded")));
  EXPECT_TRUE(is_throttling(reply(451, "4.7.500 Server busy, throttled")));
  EXPECT_TRUE(is_throttling(reply(421, "4.7.0 Too many concurrent SMTP connections")));
  EXPECT_TRUE(is_throttling(reply(450, "4.7.1 Rate limit reached")));
  EXPECT_FALSE(is_throttling(reply(451, "4.7.1 Greylisted, try later")));
  EXPECT_FALSE(is_throttling(reply(550, "5.7.1 Limit reached")));  // permanent: not a cool-down
  EXPECT_FALSE(is_throttling(reply(250, "2.0.0 Ok")));
}

TEST(RecordReport, AcceptedIsSentRefusedIsFailedTemporaryIsDeferred) {
  auto state = queue::DeliveryState::fresh(3);
  record_report(state, {0, 1, 2},
                report({reply(250, "2.1.5 Ok"), reply(550, "5.1.1 User unknown"),
                        reply(452, "4.2.2 Mailbox full")},
                       reply(250, "2.0.0 Ok: queued as ABC")));
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Sent);
  EXPECT_EQ(state.recipients[1].status, RecipientStatus::Failed);
  EXPECT_EQ(state.recipients[1].last_reply, "550 5.1.1 User unknown");
  EXPECT_EQ(state.recipients[2].status, RecipientStatus::Deferred);
  for (const auto& recipient : state.recipients) EXPECT_EQ(recipient.attempts, 1u);
}

TEST(RecordReport, TheReplyAfterTheContentDecidesForTheAcceptedRecipients) {
  auto state = queue::DeliveryState::fresh(2);
  record_report(state, {0, 1},
                report({reply(250, "2.1.5 Ok"), reply(250, "2.1.5 Ok")},
                       reply(451, "4.3.0 Try again later")));
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Deferred);
  EXPECT_EQ(state.recipients[1].status, RecipientStatus::Deferred);
  record_report(state, {0, 1},
                report({reply(250, "2.1.5 Ok"), reply(250, "2.1.5 Ok")},
                       reply(554, "5.6.0 Message rejected")));
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Failed);
}

TEST(RecordReport, ARefusedMailFromDecidesForEveryRecipientTried) {
  auto state = queue::DeliveryState::fresh(2);
  smtp::SendReport refused;
  refused.mail_reply = reply(451, "4.7.500 Server busy");
  record_report(state, {0, 1}, refused);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Deferred);
  EXPECT_EQ(state.recipients[1].status, RecipientStatus::Deferred);
}

TEST(PendingRecipients, NeverIncludesOneAlreadySentOrFailed) {
  auto state = queue::DeliveryState::fresh(4);
  state.recipients[0].status = RecipientStatus::Sent;
  state.recipients[1].status = RecipientStatus::Failed;
  state.recipients[2].status = RecipientStatus::Deferred;
  EXPECT_EQ(pending_recipients(state), (std::vector<std::size_t>{2, 3}));
}

TEST(RecordFailure, ATokenOrConnectionFaultDefersNeverFails) {
  auto state = queue::DeliveryState::fresh(2);
  state.recipients[0].status = RecipientStatus::Sent;
  record_failure(state, {1}, "configuration (account): invalid_client\r\nforged", false);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Sent);
  EXPECT_EQ(state.recipients[1].status, RecipientStatus::Deferred);
  // Kept as it was: the spool record encodes it, the logger escapes it.
  EXPECT_EQ(state.recipients[1].last_reply, "configuration (account): invalid_client\r\nforged");
}

TEST(KeptReply, IsTheTextAsItWasCutAtACharacterBoundary) {
  EXPECT_EQ(kept_reply("550 5.1.1 C:\\x01 \t"), "550 5.1.1 C:\\x01 \t");
  const std::string long_ascii(5000, 'a');
  EXPECT_EQ(kept_reply(long_ascii).size(), kMaxKeptReply);
  // "é" (2 bytes) straddling the limit is dropped whole, not cut in two.
  const std::string straddling = std::string(kMaxKeptReply - 1, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(kept_reply(straddling), std::string(kMaxKeptReply - 1, 'a'));
}

// The defect: the reply was escaped when stored and escaped again by the
// logger, so a tab showed as \\t and a backslash as \\\\. Now it is stored raw,
// survives the spool record byte for byte, and the log escapes it once.
TEST(DecidingReply, IsStoredRawRoundTripsThroughTheSpoolAndIsLoggedEscapedOnce) {
  const std::string text = "5.1.1 <x@example.test>\tunknown in C:\\mail \xff";
  auto state = queue::DeliveryState::fresh(1);
  const smtp::SendReport refused = report({reply(550, text)}, std::nullopt);
  record_report(state, {0}, refused);
  EXPECT_EQ(deciding_reply(refused), "550 " + text);
  EXPECT_EQ(state.recipients[0].last_reply, "550 " + text);

  auto parsed = queue::parse_state(queue::encode_state(state), 1);
  ASSERT_TRUE(parsed) << parsed.error().describe();
  EXPECT_EQ(parsed->recipients[0].last_reply, "550 " + text);

  core::MemorySink sink;
  core::Logger logger(core::LogLevel::Info, core::LogFormat::Logfmt, &sink);
  logger.info("delivery", {{"reply", parsed->recipients[0].last_reply}});
  const std::string line = sink.text();
  EXPECT_NE(line.find(R"(reply="550 5.1.1 <x@example.test>\tunknown in C:\\mail \xff")"),
            std::string::npos)
      << line;
}

TEST(FinishAttempt, SchedulesTheNextTryAndFailsWhatOutlivedTheQueue) {
  RelayLimits limits;
  limits.first_retry = seconds(60);
  limits.queue_lifetime = seconds(3600);
  const queue::WallTime received{std::chrono::hours(1000)};
  auto state = queue::DeliveryState::fresh(1);
  state.recipients[0].status = RecipientStatus::Deferred;
  finish_attempt(state, received + seconds(10), received, limits);
  EXPECT_EQ(state.attempts, 1u);
  ASSERT_TRUE(state.next_attempt);
  EXPECT_EQ(*state.next_attempt, received + seconds(70));
  finish_attempt(state, received + seconds(10), received, limits, received + seconds(500));
  EXPECT_EQ(*state.next_attempt, received + seconds(500));  // a cool-down pushes it later
  finish_attempt(state, received + seconds(3600), received, limits);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Failed);
  EXPECT_TRUE(state.finished());
  EXPECT_FALSE(state.next_attempt);
}

TEST(RateWindow, LetsABurstUpToTheLimitGoThenWaitsForTheOldestStartToLeave) {
  RateWindow rate(3);
  const RateWindow::Clock::time_point t0{std::chrono::hours(1)};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rate.wait(t0 + seconds(i)), RateWindow::Clock::duration::zero());
    rate.started(t0 + seconds(i));
  }
  EXPECT_EQ(rate.wait(t0 + seconds(10)), seconds(50));  // the first start leaves at t0 + 60 s
  EXPECT_EQ(rate.wait(t0 + seconds(60)), RateWindow::Clock::duration::zero());
  rate.started(t0 + seconds(60));
  EXPECT_EQ(rate.wait(t0 + seconds(60)), seconds(1));  // now the second is the oldest
}

TEST(RateWindow, CountsAnAttemptFromItsEndSoTheUpstreamNeverSeesOneTooMany) {
  RateWindow rate(2);
  const RateWindow::Clock::time_point t0{std::chrono::hours(1)};
  rate.started(t0);
  rate.started(t0 + seconds(1));
  rate.finished(t0, t0 + seconds(5));  // it waited 5 s for a connection and a login
  rate.finished(t0 + seconds(1), t0 + seconds(2));
  EXPECT_EQ(rate.wait(t0 + seconds(10)), seconds(52));  // the earliest end leaves at t0 + 62 s
  EXPECT_EQ(rate.wait(t0 + seconds(62)), RateWindow::Clock::duration::zero());
  rate.started(t0 + seconds(62));
  EXPECT_EQ(rate.wait(t0 + seconds(62)), seconds(3));  // then the one that ended at t0 + 5 s
  rate.finished(t0 - seconds(100), t0 + seconds(63));  // a start already out of the window
  EXPECT_EQ(rate.wait(t0 + seconds(63)), seconds(2));  // still counted, from its end
}

}  // namespace
}  // namespace mailoauth::relay
