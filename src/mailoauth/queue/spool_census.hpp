// How many messages the spool holds in each state, and how old the oldest
// queued one is, from directory listings alone: for the relay's queue gauges
// (mailoauth_relay_queue_messages, ..._oldest_message_age_seconds), which a
// scrape must get without opening 100,000 message files.
//
// It can be had from names because of the spool's layout (queue/spool.hpp):
// queue/ID without ID.state was never tried (queued), with one it was tried
// and waits for its next attempt (deferred; a state file is written only when
// an attempt did not finish the message); hold/ and failed/ are their
// states; and a queue id begins with its receipt time in hex microseconds, so
// the oldest queued message is the smallest id. Close to `mailoauth queue
// list`'s classification (which reads the state files) but not identical: a
// message the relay stopped in the middle of holding counts as queued here.
// Synchronous (readdir): run it on a thread pool, never on the event loop.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"

namespace mailoauth::queue {

struct SpoolCensus {
  std::uint64_t queued = 0;
  std::uint64_t deferred = 0;
  std::uint64_t held = 0;
  std::uint64_t failed = 0;
  // Receipt time of the oldest message in queue/ (queued or deferred); none: queue/ is empty.
  std::optional<core::Clock::WallTime> oldest_queued;
};

SpoolCensus take_census_of_names(std::span<const std::string_view> queue_names,
                                 std::span<const std::string_view> hold_names,
                                 std::span<const std::string_view> failed_names);
core::Result<SpoolCensus> take_spool_census(const std::filesystem::path& spool);

// The receipt time a queue id starts with; none: not a queue id.
std::optional<core::Clock::WallTime> queue_id_time(std::string_view id);

}  // namespace mailoauth::queue
