// The relay's spool: the truth about every message it has acknowledged. A
// message is one file, written while DATA streams into `incoming/`, then
// made durable and moved into `queue/` — the rename is the commit, and only
// after it (and the fsync of `queue/`) may the session answer 250:
//
//   incoming/ID      being received; never acknowledged; removed at start-up
//   queue/ID         envelope record, content, trailer; immutable once there
//   queue/ID.state   per-recipient delivery state, replaced atomically
//   hold/ID[.state]  held by an admin; the scheduler leaves it alone
//   failed/ID[.state] finished with at least one recipient failed for good
//   corrupt/ID...    could not be read back; kept for a person, never deleted
//
// The file's trailer ("MAILOAUTH-END" and the content size) is written last,
// so a file cut short by a disk that lied about fsync is recognised as such
// and moved to corrupt/ instead of being delivered truncated. The state file
// is written (atomic_write_file: temp, fsync, rename, fsync directory) before
// the scheduler acts on a result, so after a crash a recipient already
// confirmed by the upstream is not sent to again; one whose confirmation was
// not yet recorded may be (at-least-once, as every MTA).
//
// This part is synchronous, plain POSIX through core::SystemCalls, so tests
// fail writes, fsyncs and renames at every step (ENOSPC, EIO). The relay
// calls it from a thread pool, never from its event loop. Memory: a message
// costs its envelope and one 64 KiB write buffer, whatever its size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/system_calls.hpp"
#include "mailoauth/queue/spool_record.hpp"

namespace mailoauth::queue {

enum class Place { Incoming, Queue, Hold, Failed, Corrupt };
std::string_view to_string(Place place);

// Error codes the session maps to replies: no space → 452 4.3.1.
inline constexpr std::string_view kNoSpace = "queue.no_space";
inline constexpr std::string_view kIoError = "queue.io";

// A queue ID: time-ordered, unique, lower-case hex, safe as a file name and in
// a log line ("18f3a2b4c5d6e7-3fa2c1").
std::string new_queue_id(const core::Clock& clock);
bool is_queue_id(std::string_view text);

// The trailer's size ("MAILOAUTH-END ", 20 digits, LF): a message's content
// is its file's size minus the envelope and this (queue_listing reads no more).
inline constexpr std::size_t kSpoolTrailerSize = 14 + 20 + 1;

class Spool;

// A message being received. Unless commit() succeeds, the destructor removes
// its file: nothing half-written ever reaches queue/.
class IncomingMessage {
 public:
  IncomingMessage(IncomingMessage&&) noexcept;
  IncomingMessage& operator=(IncomingMessage&&) = delete;
  ~IncomingMessage();

  const std::string& id() const { return id_; }
  std::uint64_t content_size() const { return content_size_; }

  // Content bytes as received (after unstuffing). Buffered; errors name the
  // step (kNoSpace when the disk is full).
  core::Result<void> append(std::string_view bytes);
  // Trailer, fsync, rename into queue/, fsync queue/. Success means durable.
  core::Result<void> commit();

 private:
  friend class Spool;
  IncomingMessage(Spool& spool, std::string id, int fd);
  core::Result<void> flush();
  void abandon();

  Spool* spool_;
  std::string id_;
  int fd_;
  std::string buffer_;
  std::uint64_t content_size_ = 0;
  bool committed_ = false;
  std::optional<core::Error> failed_;
};

// Reads a spooled message's content in pieces, for delivery.
class ContentReader {
 public:
  ContentReader(ContentReader&&) noexcept;
  ContentReader& operator=(ContentReader&&) = delete;
  ~ContentReader();

  std::uint64_t size() const { return size_; }
  // Up to `max` bytes; empty at the end.
  core::Result<std::string_view> read(std::size_t max);
  // Back to the first content byte (a retry over a new connection).
  void rewind() { position_ = 0; }

 private:
  friend class Spool;
  ContentReader(int fd, std::uint64_t offset, std::uint64_t size, std::string path);
  int fd_;
  std::uint64_t offset_;
  std::uint64_t size_;
  std::uint64_t position_ = 0;
  std::string path_;
  std::string buffer_;
};

struct SpooledMessage {
  Place place = Place::Queue;
  SpooledEnvelope envelope;
  DeliveryState state;
  std::uint64_t content_size = 0;
};

struct RecoveryReport {
  std::vector<SpooledMessage> messages;  // in queue/ and hold/
  std::size_t incomplete_removed = 0;    // incoming/ files (never acknowledged)
  std::size_t moved_to_corrupt = 0;
  std::vector<std::string> notes;  // one line per thing done, for the log
};

class Spool {
 public:
  // Creates the directories (0700) when missing.
  static core::Result<std::unique_ptr<Spool>> open(
      std::filesystem::path root, core::SystemCalls& calls = core::real_system_calls(),
      const core::Clock& clock = core::system_clock());

  // A new message with this envelope (its id and received time are filled in).
  core::Result<IncomingMessage> begin(SpooledEnvelope envelope);

  // The envelope and content size of a message in `place`; queue.corrupt when
  // it cannot be read back whole.
  core::Result<SpooledMessage> read(Place place, std::string_view id);
  core::Result<ContentReader> open_content(Place place, std::string_view id);

  // Replaces the delivery state durably.
  core::Result<void> write_state(Place place, std::string_view id, const DeliveryState& state);

  // Delivered to every recipient: the message leaves the spool, durably (the
  // directory is fsynced), so the removal itself records "all sent".
  core::Result<void> remove(Place place, std::string_view id);
  // To hold/, failed/ or corrupt/ (and back from hold/), content and state.
  core::Result<void> move(std::string_view id, Place from, Place to);

  // At start-up, before any session: removes incoming/ leftovers and stale
  // temporary files, moves unreadable messages to corrupt/, and returns every
  // message to deliver or keep held, with its state.
  core::Result<RecoveryReport> recover();

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path path(Place place, std::string_view id) const;
  std::filesystem::path state_path(Place place, std::string_view id) const;
  core::SystemCalls& calls() { return calls_; }

 private:
  Spool(std::filesystem::path root, core::SystemCalls& calls, const core::Clock& clock);
  std::filesystem::path directory(Place place) const;

  std::filesystem::path root_;
  core::SystemCalls& calls_;
  const core::Clock& clock_;
};

}  // namespace mailoauth::queue
