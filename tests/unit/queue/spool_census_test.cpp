// The spool's census from directory listings: queue/ splits into queued (no
// state file) and deferred (a state file), hold/ and failed/ count their
// messages (not their state files, not temporaries), the oldest queued
// message is the one with the smallest receipt time in its id, and a real
// spool's messages, moved by the Spool itself, are counted where they are.
#include "mailoauth/queue/spool_census.hpp"

#include <gtest/gtest.h>

#include "mailoauth/queue/spool.hpp"

#include "../../support/temporary_directory.hpp"

namespace mailoauth::queue {
namespace {

using namespace std::chrono_literals;

TEST(SpoolCensusTest, ClassifiesByNames) {
  const std::vector<std::string_view> queue{
      "18f3a2b4c5d6e7-aaaaaa",    "18f3a2b4c5d6e7-aaaaaa.state",      "18f3a2b4c5d6e0-bbbbbb",
      "18f3a2b4c5d6f0-cccccc",    ".18f3a2b4c5d6f0-cccccc.state.tmp", "listing.cache",
      "0fffffffffff-dddddd.state"};  // a stray state file
  const std::vector<std::string_view> hold{"18f3a2b4c5d6e7-eeeeee", "18f3a2b4c5d6e7-eeeeee.state"};
  const std::vector<std::string_view> failed{"1-aaaaaa", "2-bbbbbb", "2-bbbbbb.state"};
  const SpoolCensus census = take_census_of_names(queue, hold, failed);
  EXPECT_EQ(census.queued, 2u);
  EXPECT_EQ(census.deferred, 1u);
  EXPECT_EQ(census.held, 1u);
  EXPECT_EQ(census.failed, 2u);
  ASSERT_TRUE(census.oldest_queued);
  EXPECT_EQ(*census.oldest_queued, queue_id_time("18f3a2b4c5d6e0-bbbbbb"));
}

TEST(SpoolCensusTest, OldestComparesTimesNotText) {
  // "9-..." is 9 µs after the epoch, "10-..." 16 µs: fewer hex digits is earlier.
  const std::vector<std::string_view> queue{"10-aaaaaa", "9-bbbbbb"};
  const SpoolCensus census = take_census_of_names(queue, {}, {});
  ASSERT_TRUE(census.oldest_queued);
  EXPECT_EQ(census.oldest_queued->time_since_epoch(), std::chrono::microseconds(9));
}

TEST(SpoolCensusTest, EmptyQueueHasNoOldest) {
  const SpoolCensus census = take_census_of_names({}, {}, {});
  EXPECT_EQ(census.queued + census.deferred + census.held + census.failed, 0u);
  EXPECT_FALSE(census.oldest_queued);
}

TEST(SpoolCensusTest, QueueIdTime) {
  const auto time = queue_id_time("18f3a2b4c5d6e7-3fa2c1");
  ASSERT_TRUE(time);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::microseconds>(time->time_since_epoch()).count(),
            0x18f3a2b4c5d6e7);
  EXPECT_FALSE(queue_id_time("not-an-id"));
  EXPECT_FALSE(queue_id_time("18f3a2b4c5d6e7"));
}

TEST(SpoolCensusTest, CountsARealSpool) {
  testing::TemporaryDirectory directory;
  core::ManualClock clock(core::Clock::WallTime{std::chrono::seconds{1'700'000'000}});
  auto spool = Spool::open(directory.path(), core::real_system_calls(), clock);
  ASSERT_TRUE(spool) << spool.error().describe();
  std::vector<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    SpooledEnvelope envelope;
    envelope.route = "contoso";
    envelope.from = "a@contoso.com";
    envelope.recipients = {"b@example.com"};
    auto message = (*spool)->begin(envelope);
    ASSERT_TRUE(message) << message.error().describe();
    ASSERT_TRUE(message->append("Subject: x\r\n\r\nbody\r\n"));
    ASSERT_TRUE(message->commit());
    ids.push_back(message->id());
    clock.advance(1s);
  }
  DeliveryState state = DeliveryState::fresh(1);
  state.attempts = 1;
  ASSERT_TRUE((*spool)->write_state(Place::Queue, ids[1], state));
  ASSERT_TRUE((*spool)->move(ids[2], Place::Queue, Place::Hold));
  ASSERT_TRUE((*spool)->move(ids[3], Place::Queue, Place::Failed));
  auto census = take_spool_census(directory.path());
  ASSERT_TRUE(census) << census.error().describe();
  EXPECT_EQ(census->queued, 1u);
  EXPECT_EQ(census->deferred, 1u);
  EXPECT_EQ(census->held, 1u);
  EXPECT_EQ(census->failed, 1u);
  ASSERT_TRUE(census->oldest_queued);
  EXPECT_EQ(*census->oldest_queued, core::Clock::WallTime{std::chrono::seconds{1'700'000'000}});
}

TEST(SpoolCensusTest, MissingDirectoriesCountAsEmpty) {
  testing::TemporaryDirectory directory;
  auto census = take_spool_census(directory.path() / "nothing-here");
  ASSERT_TRUE(census) << census.error().describe();
  EXPECT_EQ(census->queued, 0u);
}

}  // namespace
}  // namespace mailoauth::queue
