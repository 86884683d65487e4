// What `mailoauth queue list` and `show` read: every message in the spool
// with its envelope, size and delivery state, straight from the files, while
// the relay runs or not. Safe without a lock because of the spool's
// discipline: a file in queue/, hold/ or failed/ is complete and immutable
// (it got there by rename), and a state file is replaced by rename, so a
// reader sees an old or a new version, never half of one. A message the relay
// removes or moves while the listing runs is skipped (ENOENT) or, at worst,
// shown in its old place: a listing is a snapshot, like postqueue -p's.
//
// Fast on a big queue (measured in bench/results/queue_list.md): one
// directory read per place; per message its envelope from the listing cache
// (queue/listing_cache.hpp: no system call), or else one open and one 4 KiB
// read at the file's head (the content after it is never read; its size
// comes from the file size minus the envelope and the fixed-size trailer);
// a state file is opened only when the directory listing has one; two
// threads for a big directory. `show` reads one message through
// Spool::read, which also checks the trailer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/queue/spool.hpp"

namespace mailoauth::queue {

// What an admin asks about: queue/ splits into never tried and deferred.
enum class MessageState { Queued, Deferred, Hold, Failed, Corrupt };
std::string_view to_string(MessageState state);
std::optional<MessageState> parse_message_state(std::string_view text);

struct ListedMessage {
  std::string id;
  MessageState state = MessageState::Queued;
  std::uint64_t size = 0;  // content bytes; for corrupt/ the file's size
  SpooledEnvelope envelope;
  DeliveryState delivery;
  std::string problem;  // why it is corrupt (then envelope and delivery are empty)
};

struct ListingFilter {
  std::optional<std::string> route;
  std::optional<MessageState> state;
};

// Use: take envelopes from <spool>/listing.cache and keep it up to date
// (queue/listing_cache.hpp); Off: read every message file.
enum class ListingCache { Off, Use };

// Oldest first (queue ids are time-ordered).
core::Result<std::vector<ListedMessage>> list_messages(const std::filesystem::path& spool,
                                                       const ListingFilter& filter = {},
                                                       ListingCache cache = ListingCache::Off);

// The state a message in `place` with `delivery` is in.
MessageState classify(Place place, const DeliveryState& delivery);

// One message by id, wherever it is, checked whole (Spool::read);
// queue.no_such_message (Permanent) when it is nowhere.
core::Result<ListedMessage> find_message(Spool& spool, std::string_view id);

}  // namespace mailoauth::queue
