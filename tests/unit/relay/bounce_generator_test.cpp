// When the relay tells a sender, and what lands in the spool: a failed
// recipient makes one notification, several failed in one attempt make one;
// never for the null sender, a notification itself, a route with
// bounces = false, an automatic reply or a report; a delay warning once past
// delay_warning_time and never twice; MAIL FROM upstream for a notification.
// notify_sender runs against a real spool: the notification is a committed
// message with the null sender, bounce_of and the original sender as its one
// recipient, and the original's body is never in it.
#include "mailoauth/relay/bounce_generator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include "../../support/temporary_directory.hpp"

namespace mailoauth::relay {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using queue::RecipientStatus;

queue::SpooledEnvelope original() {
  queue::SpooledEnvelope envelope;
  envelope.id = "18f3a2b4c5d6e7-3fa2c1";
  envelope.received = queue::WallTime(std::chrono::seconds(1'796'400'000));
  envelope.listener = "lan";
  envelope.route = "scanners";
  envelope.from = "scanner@contoso.example";
  envelope.recipients = {"a@example.test", "b@example.test", "c@example.test"};
  return envelope;
}

queue::DeliveryState state_with(std::vector<RecipientStatus> statuses) {
  queue::DeliveryState state = queue::DeliveryState::fresh(statuses.size());
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    state.recipients[i].status = statuses[i];
    state.recipients[i].last_reply = statuses[i] == RecipientStatus::Failed ? "550 5.1.1 no" : "";
  }
  return state;
}

const std::vector<std::size_t> kAll{0, 1, 2};

TEST(BounceGeneratorTest, FailedRecipientsOfOneAttemptMakeOneNotification) {
  const auto state =
      state_with({RecipientStatus::Failed, RecipientStatus::Sent, RecipientStatus::Failed});
  const auto envelope = original();
  const NotificationPlan plan =
      plan_notification(envelope, state, kAll, envelope.received + 1min, true, 0s);
  ASSERT_TRUE(plan.action);
  EXPECT_EQ(*plan.action, DsnAction::Failed);
  EXPECT_EQ(plan.recipients, (std::vector<std::size_t>{0, 2}));
}

TEST(BounceGeneratorTest, OnlyRecipientsTriedNowAreReported) {
  // Recipient 0 failed in an earlier attempt (it was bounced then); 1 now.
  const auto state =
      state_with({RecipientStatus::Failed, RecipientStatus::Failed, RecipientStatus::Sent});
  const auto envelope = original();
  const NotificationPlan plan =
      plan_notification(envelope, state, {1}, envelope.received, true, 0s);
  ASSERT_TRUE(plan.action);
  EXPECT_EQ(plan.recipients, (std::vector<std::size_t>{1}));
}

TEST(BounceGeneratorTest, NothingToTellWhenAllWentWell) {
  const auto state =
      state_with({RecipientStatus::Sent, RecipientStatus::Sent, RecipientStatus::Deferred});
  const auto envelope = original();
  const NotificationPlan plan =
      plan_notification(envelope, state, kAll, envelope.received + 1h, true, 0s);
  EXPECT_FALSE(plan.action);
  EXPECT_EQ(plan.skipped, "");
}

TEST(BounceGeneratorTest, NeverForTheNullSenderOrANotification) {
  const auto state =
      state_with({RecipientStatus::Failed, RecipientStatus::Sent, RecipientStatus::Sent});
  auto envelope = original();
  envelope.from.clear();
  NotificationPlan plan = plan_notification(envelope, state, kAll, envelope.received, true, 0s);
  EXPECT_FALSE(plan.action);
  EXPECT_EQ(plan.skipped, "null sender");
  envelope.bounce_of = "18f3a2b4c5d6e0-000001";  // a bounce of a bounce
  plan = plan_notification(envelope, state, kAll, envelope.received, true, 0s);
  EXPECT_FALSE(plan.action);
  EXPECT_EQ(plan.skipped, "a notification itself");
}

TEST(BounceGeneratorTest, RouteWithBouncesOffOnlyLogs) {
  const auto state =
      state_with({RecipientStatus::Failed, RecipientStatus::Sent, RecipientStatus::Sent});
  const auto envelope = original();
  const NotificationPlan plan =
      plan_notification(envelope, state, kAll, envelope.received, false, 0s);
  EXPECT_FALSE(plan.action);
  EXPECT_EQ(plan.skipped, "bounces = false on this route");
}

TEST(BounceGeneratorTest, DelayWarningOnceAfterItsTime) {
  auto state =
      state_with({RecipientStatus::Deferred, RecipientStatus::Sent, RecipientStatus::Deferred});
  const auto envelope = original();
  EXPECT_FALSE(plan_notification(envelope, state, kAll, envelope.received + 3h, true, 4h).action)
      << "not yet";
  EXPECT_FALSE(plan_notification(envelope, state, kAll, envelope.received + 5h, true, 0s).action)
      << "off by default";
  NotificationPlan plan =
      plan_notification(envelope, state, kAll, envelope.received + 4h, true, 4h);
  ASSERT_TRUE(plan.action);
  EXPECT_EQ(*plan.action, DsnAction::Delayed);
  EXPECT_EQ(plan.recipients, (std::vector<std::size_t>{0, 2}));
  state.delay_warned = true;
  EXPECT_FALSE(plan_notification(envelope, state, kAll, envelope.received + 9h, true, 4h).action)
      << "one warning per message";
}

TEST(BounceGeneratorTest, RouteDelayWarningOverridesTheGlobalOne) {
  RouteConfig route;
  RelayLimits limits;
  EXPECT_EQ(effective_delay_warning(route, limits), 0s);
  limits.delay_warning_time = 4h;
  EXPECT_EQ(effective_delay_warning(route, limits), 4h);
  route.delay_warning_time = 0s;
  EXPECT_EQ(effective_delay_warning(route, limits), 0s);
}

TEST(BounceGeneratorTest, AutomaticRepliesAndReportsAreNotAnswered) {
  EXPECT_TRUE(automatic_reply_reason("From: a@b\r\nAuto-Submitted: Auto-Replied (vacation)\r\n"));
  EXPECT_TRUE(automatic_reply_reason(
      "From: a@b\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n"
      " boundary=x\r\n"));
  EXPECT_FALSE(automatic_reply_reason("From: a@b\r\nAuto-Submitted: auto-generated\r\n"))
      << "cron's sender wants to hear of failures";
  EXPECT_FALSE(automatic_reply_reason("From: a@b\r\nAuto-Submitted: no\r\n"));
  EXPECT_FALSE(automatic_reply_reason("not a header at all"));
}

TEST(BounceGeneratorTest, HeaderSectionStopsAtTheBlankLineAndIsBounded) {
  bool truncated = true;
  EXPECT_EQ(header_section("A: 1\r\nB: 2\r\n\r\nbody\r\n", truncated), "A: 1\r\nB: 2");
  EXPECT_FALSE(truncated);
  EXPECT_EQ(header_section("A: 1\nB: 2\n\nbody", truncated), "A: 1\nB: 2");
  std::string huge;
  while (huge.size() < kMaxReturnedHeader + 500) huge += "X-Filler: 0123456789abcdef\r\n";
  const std::string cut = header_section(huge + "\r\nbody", truncated);
  EXPECT_TRUE(truncated);
  EXPECT_LE(cut.size(), kMaxReturnedHeader);
  EXPECT_TRUE(cut.ends_with("0123456789abcdef")) << "cut after a whole line";
}

TEST(BounceGeneratorTest, UpstreamEnvelopeFromOfANotification) {
  RouteConfig route;
  auto envelope = notification_envelope(original(), "relay.test");
  EXPECT_EQ(*upstream_envelope_from(route, "relay@contoso.example", envelope),
            "relay@contoso.example");
  route.bounce_from = "postmaster@contoso.example";
  EXPECT_EQ(*upstream_envelope_from(route, "relay@contoso.example", envelope),
            "postmaster@contoso.example");
  route.bounce_envelope_from = BounceEnvelopeFrom::Null;
  EXPECT_EQ(*upstream_envelope_from(route, "relay@contoso.example", envelope), "");
  route = RouteConfig{};
  EXPECT_FALSE(upstream_envelope_from(route, "", envelope)) << "no mailbox to send from";
  // A device's own null-sender message keeps <> (the route's rewrite decides).
  auto device = original();
  device.from.clear();
  route.rewrite.envelope_from.enabled = true;
  EXPECT_EQ(*upstream_envelope_from(route, "relay@contoso.example", device), "");
  device.from = "scanner@contoso.example";
  EXPECT_EQ(*upstream_envelope_from(route, "relay@contoso.example", device),
            "relay@contoso.example");
}

TEST(BounceGeneratorTest, NotificationEnvelope) {
  const auto envelope = notification_envelope(original(), "relay.test");
  EXPECT_EQ(envelope.from, "") << "the null sender: never bounced";
  EXPECT_EQ(envelope.bounce_of, "18f3a2b4c5d6e7-3fa2c1");
  EXPECT_EQ(envelope.recipients, (std::vector<std::string>{"scanner@contoso.example"}));
  EXPECT_EQ(envelope.route, "scanners");
  EXPECT_FALSE(envelope.smtputf8);
}

TEST(BounceGeneratorTest, CheckConfigNamesWhatDiffersFromTheDefaults) {
  RouteConfig route;
  RelayLimits limits;
  EXPECT_EQ(describe_bounces(route, limits), "");
  limits.delay_warning_time = 4h;
  route.bounce_from = "postmaster@contoso.example";
  route.bounce_envelope_from = BounceEnvelopeFrom::Null;
  EXPECT_EQ(describe_bounces(route, limits),
            "; bounces from postmaster@contoso.example; bounces with MAIL FROM <>; delay warning "
            "after 14400 s");
  route.bounces = false;
  EXPECT_EQ(describe_bounces(route, limits), "; bounces off");
}

// notify_sender against a real spool.
struct Fixture {
  testing::TemporaryDirectory directory;
  std::unique_ptr<queue::Spool> spool;
  RelayConfig config;
  RouteConfig route;
  core::MemorySink sink;
  core::Logger logger{core::LogLevel::Info, core::LogFormat::Logfmt, &sink};
  Fixture() {
    spool = std::move(*queue::Spool::open(directory.path() / "spool"));
    config.hostname = "relay.test";
    route.name = "scanners";
  }

  // A queued message with this content; its state as the rules left it.
  queue::SpooledMessage queued(const std::string& content, queue::DeliveryState state,
                               std::string from = "scanner@contoso.example") {
    auto envelope = original();
    envelope.from = std::move(from);
    auto incoming = spool->begin(envelope);
    EXPECT_TRUE(incoming);
    EXPECT_TRUE(incoming->append(content));
    EXPECT_TRUE(incoming->commit());
    auto message = spool->read(queue::Place::Queue, incoming->id());
    EXPECT_TRUE(message);
    message->state = std::move(state);
    return *message;
  }

  std::optional<std::string> notify(queue::SpooledMessage& message,
                                    const std::vector<std::size_t>& tried) {
    asio::io_context io;
    asio::thread_pool pool(1);
    const BounceRoute bounce = bounce_route(&route, "relay@contoso.example", "smtp.test", false);
    auto done = asio::co_spawn(
        io, notify_sender({&config, spool.get(), &pool, &logger}, &bounce, &message, &tried),
        asio::use_future);
    io.run();
    pool.join();
    return done.get();
  }

  std::string content_of(const std::string& id) {
    auto reader = spool->open_content(queue::Place::Queue, id);
    std::string text;
    for (;;) {
      auto piece = reader->read(65536);
      if (!piece || piece->empty()) break;
      text.append(*piece);
    }
    return text;
  }
};

TEST(BounceGeneratorTest, NotificationIsSpooledWithTheHeaderOnly) {
  Fixture fixture;
  auto message = fixture.queued(
      "Subject: Scan 42\r\nFrom: scanner@contoso.example\r\n\r\nSECRET BODY\r\n",
      state_with({RecipientStatus::Failed, RecipientStatus::Sent, RecipientStatus::Failed}));
  const auto id = fixture.notify(message, kAll);
  ASSERT_TRUE(id) << fixture.sink.text();
  auto bounce = fixture.spool->read(queue::Place::Queue, *id);
  ASSERT_TRUE(bounce);
  EXPECT_EQ(bounce->envelope.from, "");
  EXPECT_EQ(bounce->envelope.bounce_of, message.envelope.id);
  EXPECT_EQ(bounce->envelope.recipients, (std::vector<std::string>{"scanner@contoso.example"}));
  EXPECT_EQ(bounce->envelope.route, "scanners");
  const std::string content = fixture.content_of(*id);
  EXPECT_NE(content.find("Subject: Scan 42"), std::string::npos);
  EXPECT_EQ(content.find("SECRET BODY"), std::string::npos) << "the body is not returned";
  EXPECT_NE(content.find("Final-Recipient: rfc822; a@example.test"), std::string::npos);
  EXPECT_NE(content.find("Final-Recipient: rfc822; c@example.test"), std::string::npos);
  EXPECT_EQ(content.find("Final-Recipient: rfc822; b@example.test"), std::string::npos);
  EXPECT_NE(fixture.sink.text().find("msg=\"delivery status notification\" queue_id=" +
                                     message.envelope.id + " bounce_id=" + *id),
            std::string::npos)
      << fixture.sink.text();
}

TEST(BounceGeneratorTest, AnAutomaticReplyGetsNoNotification) {
  Fixture fixture;
  auto message = fixture.queued(
      "Auto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nbody\r\n",
      state_with({RecipientStatus::Failed, RecipientStatus::Sent, RecipientStatus::Sent}));
  EXPECT_FALSE(fixture.notify(message, kAll));
  EXPECT_EQ(testing::entry_count(fixture.spool->root() / "queue"), 1u) << "only the original";
  EXPECT_NE(fixture.sink.text().find("reason=\"an automatic reply"), std::string::npos)
      << fixture.sink.text();
}

TEST(BounceGeneratorTest, DelayWarningIsMarkedInTheState) {
  Fixture fixture;
  fixture.config.limits.delay_warning_time = 1s;
  auto message = fixture.queued(
      "Subject: s\r\n\r\nbody\r\n",
      state_with({RecipientStatus::Deferred, RecipientStatus::Sent, RecipientStatus::Sent}));
  message.envelope.received -= 1h;  // received an hour ago
  const auto id = fixture.notify(message, kAll);
  ASSERT_TRUE(id) << fixture.sink.text();
  EXPECT_TRUE(message.state.delay_warned);
  EXPECT_NE(fixture.content_of(*id).find("Action: delayed"), std::string::npos);
  EXPECT_FALSE(fixture.notify(message, kAll)) << "never twice";
}

TEST(BounceGeneratorTest, NullSenderMessageMakesNothingInTheSpool) {
  Fixture fixture;
  auto message = fixture.queued(
      "Subject: s\r\n\r\nbody\r\n",
      state_with({RecipientStatus::Failed, RecipientStatus::Sent, RecipientStatus::Sent}), "");
  EXPECT_FALSE(fixture.notify(message, kAll));
  EXPECT_EQ(testing::entry_count(fixture.spool->root() / "queue"), 1u);
  EXPECT_NE(fixture.sink.text().find("reason=\"null sender\""), std::string::npos)
      << fixture.sink.text();
}

}  // namespace
}  // namespace mailoauth::relay
