// The queue tool's changes on the spool's files; see spool_commands.hpp for
// the order of the steps and why.
#include "mailoauth/queue/spool_commands.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::queue {

namespace {

core::Error wrong_place(std::string_view id, Place place, std::string_view wanted) {
  return core::Error(core::ErrorClass::Permanent, "queue.wrong_state",
                     fmt::format("message {} is in {}/: {}", id, to_string(place), wanted),
                     "mailoauth queue show ID says where it is and why");
}

}  // namespace

core::Result<Place> locate_message(Spool& spool, std::string_view id) {
  if (!is_queue_id(id)) {
    return core::fail(core::ErrorClass::Config, "queue.bad_id",
                      fmt::format("\"{}\" is not a queue id", core::escape_control_characters(id)),
                      "a queue id is lower-case hex with one dash, as mailoauth queue list shows");
  }
  for (Place place : {Place::Queue, Place::Hold, Place::Failed, Place::Corrupt}) {
    if (::access(spool.path(place, id).c_str(), F_OK) == 0) return place;
  }
  return core::fail(core::ErrorClass::Permanent, "queue.no_such_message",
                    fmt::format("no message {} in the spool {}", id, spool.root().string()),
                    "mailoauth queue list shows the ids; a delivered message leaves the spool");
}

core::Result<std::string> hold_message(Spool& spool, std::string_view id) {
  auto place = locate_message(spool, id);
  if (!place) return std::unexpected(place.error());
  if (*place == Place::Hold) return std::string("already held");
  if (*place != Place::Queue)
    return std::unexpected(wrong_place(id, *place, "only a queued message can be held"));
  auto message = spool.read(Place::Queue, id);
  if (!message) return std::unexpected(message.error());
  message->state.hold = true;
  if (auto written = spool.write_state(Place::Queue, id, message->state); !written) {
    return std::unexpected(written.error());
  }
  if (auto moved = spool.move(id, Place::Queue, Place::Hold); !moved) {
    return std::unexpected(moved.error());
  }
  return std::string("held");
}

core::Result<std::string> release_message(Spool& spool, std::string_view id) {
  auto place = locate_message(spool, id);
  if (!place) return std::unexpected(place.error());
  if (*place != Place::Hold && *place != Place::Queue) {
    return std::unexpected(wrong_place(id, *place, "only a held message can be released"));
  }
  auto message = spool.read(*place, id);
  if (!message) return std::unexpected(message.error());
  if (*place == Place::Queue && !message->state.hold) {
    return std::unexpected(wrong_place(id, *place, "it is not held"));
  }
  message->state.hold = false;
  message->state.next_attempt.reset();  // released means: deliver now
  if (auto written = spool.write_state(*place, id, message->state); !written) {
    return std::unexpected(written.error());
  }
  if (*place == Place::Hold) {
    if (auto moved = spool.move(id, Place::Hold, Place::Queue); !moved) {
      return std::unexpected(moved.error());
    }
  }
  return std::string("released");
}

core::Result<std::string> delete_message(Spool& spool, std::string_view id) {
  auto place = locate_message(spool, id);
  if (!place) return std::unexpected(place.error());
  if (auto removed = spool.remove(*place, id); !removed) return std::unexpected(removed.error());
  return fmt::format("deleted from {}/", to_string(*place));
}

core::Result<std::string> clear_next_attempt(Spool& spool, std::string_view id) {
  auto place = locate_message(spool, id);
  if (!place) return std::unexpected(place.error());
  if (*place != Place::Queue) {
    return std::unexpected(wrong_place(id, *place, "only a queued message can be retried"));
  }
  auto message = spool.read(Place::Queue, id);
  if (!message) return std::unexpected(message.error());
  if (message->state.hold) return std::unexpected(wrong_place(id, *place, "it is held"));
  if (!message->state.next_attempt) return std::string("due already");
  message->state.next_attempt.reset();
  if (auto written = spool.write_state(Place::Queue, id, message->state); !written) {
    return std::unexpected(written.error());
  }
  return std::string("due now");
}

}  // namespace mailoauth::queue
