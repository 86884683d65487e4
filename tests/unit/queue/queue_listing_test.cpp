// The listing the queue tool reads from the spool's files: every place, each
// message's state (queued, deferred, hold, failed, corrupt), the content size
// the spool itself reports (without reading the content), oldest first,
// filters by route and state, an envelope larger than the first read, a
// broken file listed as corrupt instead of failing the listing, and `show`'s
// lookup by id.
#include "mailoauth/queue/queue_listing.hpp"

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "../../support/temporary_directory.hpp"

namespace mailoauth::queue {
namespace {

using testing::TemporaryDirectory;

class QueueListing : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Spool::open(directory.path() / "spool", core::real_system_calls(), clock);
    ASSERT_TRUE(opened);
    spool = std::move(*opened);
  }

  std::string add(std::string route, std::vector<std::string> recipients, std::string content) {
    SpooledEnvelope envelope;
    envelope.route = std::move(route);
    envelope.from = "scanner@contoso.com";
    envelope.recipients = std::move(recipients);
    auto message = spool->begin(std::move(envelope));
    EXPECT_TRUE(message);
    EXPECT_TRUE(message->append(content));
    EXPECT_TRUE(message->commit());
    clock.advance(std::chrono::seconds(1));
    return message->id();
  }

  TemporaryDirectory directory;
  core::ManualClock clock;
  std::unique_ptr<Spool> spool;
};

TEST_F(QueueListing, EveryPlaceWithItsStateAndSize) {
  const std::string fresh = add("contoso", {"a@example.com"}, "Subject: a\r\n\r\nbody\r\n");
  const std::string deferred = add("fabrikam", {"b@example.com"}, std::string(10000, 'x'));
  const std::string held = add("contoso", {"c@example.com"}, "held");
  const std::string failed = add("contoso", {"d@example.com"}, "failed");
  DeliveryState state = DeliveryState::fresh(1);
  state.attempts = 1;
  state.recipients[0] = {RecipientStatus::Deferred, 1, "421 4.7.0 later"};
  ASSERT_TRUE(spool->write_state(Place::Queue, deferred, state));
  ASSERT_TRUE(spool->move(held, Place::Queue, Place::Hold));
  state.recipients[0].status = RecipientStatus::Failed;
  ASSERT_TRUE(spool->write_state(Place::Queue, failed, state));
  ASSERT_TRUE(spool->move(failed, Place::Queue, Place::Failed));

  auto listed = list_messages(spool->root());
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ((*listed)[0].id, fresh);  // oldest first, across places
  EXPECT_EQ((*listed)[0].state, MessageState::Queued);
  EXPECT_EQ((*listed)[1].id, deferred);
  EXPECT_EQ((*listed)[1].state, MessageState::Deferred);
  EXPECT_EQ((*listed)[1].delivery.recipients[0].last_reply, "421 4.7.0 later");
  EXPECT_EQ((*listed)[2].state, MessageState::Hold);
  EXPECT_EQ((*listed)[3].state, MessageState::Failed);
  for (const ListedMessage& message : *listed) {  // the size Spool::read reports
    auto place = message.state == MessageState::Hold     ? Place::Hold
                 : message.state == MessageState::Failed ? Place::Failed
                                                         : Place::Queue;
    auto read = spool->read(place, message.id);
    ASSERT_TRUE(read);
    EXPECT_EQ(message.size, read->content_size) << message.id;
  }
  EXPECT_EQ((*listed)[1].size, 10000u);

  auto contoso = list_messages(spool->root(), {std::string("contoso"), std::nullopt});
  ASSERT_TRUE(contoso);
  EXPECT_EQ(contoso->size(), 3u);
  auto holds = list_messages(spool->root(), {std::nullopt, MessageState::Hold});
  ASSERT_TRUE(holds);
  ASSERT_EQ(holds->size(), 1u);
  EXPECT_EQ(holds->front().id, held);
}

TEST_F(QueueListing, ManyRecipientsBeyondTheFirstRead) {
  std::vector<std::string> recipients;
  for (int i = 0; i < 500; ++i)
    recipients.push_back("someone" + std::to_string(i) + "@example.com");
  const std::string id = add("contoso", recipients, "x");
  auto listed = list_messages(spool->root());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().envelope.recipients.size(), 500u);
  EXPECT_EQ(listed->front().size, 1u);
}

TEST_F(QueueListing, BrokenFilesAreListedAsCorrupt) {
  const std::string good = add("contoso", {"a@example.com"}, "ok");
  const std::string broken = add("contoso", {"a@example.com"}, "ok");
  const std::string bad_state = add("contoso", {"a@example.com"}, "ok");
  std::ofstream(spool->path(Place::Queue, broken), std::ios::trunc) << "garbage\n";
  std::ofstream(spool->state_path(Place::Queue, bad_state)) << "mailoauth-state 1\nbogus\n";
  std::ofstream(spool->path(Place::Corrupt, "1-2")) << "whatever";
  auto listed = list_messages(spool->root());
  ASSERT_TRUE(listed) << listed.error().describe();
  ASSERT_EQ(listed->size(), 4u);
  std::map<std::string, MessageState> states;
  for (const ListedMessage& message : *listed) states[message.id] = message.state;
  EXPECT_EQ(states[good], MessageState::Queued);
  EXPECT_EQ(states[broken], MessageState::Corrupt);
  EXPECT_EQ(states[bad_state], MessageState::Corrupt);
  EXPECT_EQ(states["1-2"], MessageState::Corrupt);
}

TEST_F(QueueListing, FindMessageByIdWherever) {
  const std::string id = add("contoso", {"a@example.com"}, "content");
  ASSERT_TRUE(spool->move(id, Place::Queue, Place::Hold));
  auto found = find_message(*spool, id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->state, MessageState::Hold);
  EXPECT_EQ(found->size, 7u);
  auto missing = find_message(*spool, "1-2");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), "queue.no_such_message");
  EXPECT_EQ(missing.error().error_class(), core::ErrorClass::Permanent);
}

TEST_F(QueueListing, StateNamesRoundTrip) {
  for (MessageState state : {MessageState::Queued, MessageState::Deferred, MessageState::Hold,
                             MessageState::Failed, MessageState::Corrupt}) {
    EXPECT_EQ(parse_message_state(to_string(state)), state);
  }
  EXPECT_FALSE(parse_message_state("active"));
}

}  // namespace
}  // namespace mailoauth::queue
