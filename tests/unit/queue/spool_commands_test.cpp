// The queue tool's changes on the spool's files (used directly when no relay
// runs, and by the scheduler when one does): hold moves a queued message and
// its state to hold/ with hold=1; release brings it back with hold=0 and its
// next attempt cleared; a crash between hold's two steps (queue/ with hold=1)
// is still held and can be released; delete removes content and state from
// any place; retry clears the next attempt; wrong states and unknown or
// hostile ids are refused with the right class. Also the spool lock: a
// second holder is refused while the first holds it, and gets it after.
#include "mailoauth/queue/spool_commands.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "mailoauth/queue/queue_listing.hpp"
#include "mailoauth/queue/spool_lock.hpp"

#include "../../support/temporary_directory.hpp"

namespace mailoauth::queue {
namespace {

using testing::TemporaryDirectory;

class SpoolCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Spool::open(directory.path() / "spool");
    ASSERT_TRUE(opened);
    spool = std::move(*opened);
    SpooledEnvelope envelope;
    envelope.route = "contoso";
    envelope.from = "scanner@contoso.com";
    envelope.recipients = {"a@example.com"};
    auto message = spool->begin(std::move(envelope));
    ASSERT_TRUE(message);
    ASSERT_TRUE(message->append("content"));
    ASSERT_TRUE(message->commit());
    id = message->id();
    DeliveryState state = DeliveryState::fresh(1);
    state.attempts = 1;
    state.next_attempt = std::chrono::system_clock::now() + std::chrono::hours(1);
    state.recipients[0] = {RecipientStatus::Deferred, 1, "421 later"};
    ASSERT_TRUE(spool->write_state(Place::Queue, id, state));
  }
  bool exists(const std::filesystem::path& path) { return ::access(path.c_str(), F_OK) == 0; }

  TemporaryDirectory directory;
  std::unique_ptr<Spool> spool;
  std::string id;
};

TEST_F(SpoolCommands, HoldThenRelease) {
  auto held = hold_message(*spool, id);
  ASSERT_TRUE(held) << held.error().describe();
  EXPECT_EQ(*held, "held");
  EXPECT_FALSE(exists(spool->path(Place::Queue, id)));
  EXPECT_FALSE(exists(spool->state_path(Place::Queue, id)));
  auto in_hold = spool->read(Place::Hold, id);
  ASSERT_TRUE(in_hold);
  EXPECT_TRUE(in_hold->state.hold);
  EXPECT_EQ(*hold_message(*spool, id), "already held");

  auto released = release_message(*spool, id);
  ASSERT_TRUE(released);
  auto back = spool->read(Place::Queue, id);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->state.hold);
  EXPECT_FALSE(back->state.next_attempt);                        // released means now
  EXPECT_EQ(back->state.recipients[0].last_reply, "421 later");  // history kept
  EXPECT_FALSE(exists(spool->path(Place::Hold, id)));

  auto again = release_message(*spool, id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), "queue.wrong_state");
}

TEST_F(SpoolCommands, ACrashBetweenHoldStepsLeavesItHeld) {
  auto message = spool->read(Place::Queue, id);
  ASSERT_TRUE(message);
  message->state.hold = true;  // hold's first step only
  ASSERT_TRUE(spool->write_state(Place::Queue, id, message->state));
  auto listed = find_message(*spool, id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->state, MessageState::Hold);
  auto retried = clear_next_attempt(*spool, id);
  EXPECT_FALSE(retried);
  ASSERT_TRUE(release_message(*spool, id));
  EXPECT_FALSE(spool->read(Place::Queue, id)->state.hold);
}

TEST_F(SpoolCommands, RetryClearsTheNextAttempt) {
  EXPECT_EQ(*clear_next_attempt(*spool, id), "due now");
  EXPECT_FALSE(spool->read(Place::Queue, id)->state.next_attempt);
  EXPECT_EQ(*clear_next_attempt(*spool, id), "due already");
}

TEST_F(SpoolCommands, DeleteFromAnyPlace) {
  ASSERT_TRUE(spool->move(id, Place::Queue, Place::Failed));
  auto retried = clear_next_attempt(*spool, id);
  ASSERT_FALSE(retried);
  EXPECT_EQ(retried.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_FALSE(hold_message(*spool, id));
  auto deleted = delete_message(*spool, id);
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, "deleted from failed/");
  EXPECT_FALSE(exists(spool->path(Place::Failed, id)));
  EXPECT_FALSE(exists(spool->state_path(Place::Failed, id)));
  auto gone = delete_message(*spool, id);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), "queue.no_such_message");
}

TEST_F(SpoolCommands, HostileIdsNeverReachAPath) {
  for (const char* hostile : {"../queue/x", "..", "1-2/../../x", "1-2\r\nx", "", "1-2.state"}) {
    auto located = locate_message(*spool, hostile);
    ASSERT_FALSE(located) << hostile;
    EXPECT_EQ(located.error().code(), "queue.bad_id");
    EXPECT_FALSE(delete_message(*spool, hostile));
  }
  EXPECT_TRUE(exists(spool->path(Place::Queue, id)));
}

TEST(SpoolLock, OneHolderAtATime) {
  TemporaryDirectory directory;
  auto first = SpoolLock::try_acquire(directory.path());
  ASSERT_TRUE(first);
  ASSERT_TRUE(*first);
  auto second = SpoolLock::try_acquire(directory.path());
  ASSERT_TRUE(second);
  EXPECT_FALSE(*second);  // held: a relay runs
  auto waited = SpoolLock::acquire(directory.path(), std::chrono::milliseconds(0));
  ASSERT_FALSE(waited);
  EXPECT_EQ(waited.error().code(), "queue.locked");
  first->reset();  // the holder ends
  auto third = SpoolLock::try_acquire(directory.path());
  ASSERT_TRUE(third);
  EXPECT_TRUE(*third);
}

}  // namespace
}  // namespace mailoauth::queue
