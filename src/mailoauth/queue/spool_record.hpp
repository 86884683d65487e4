// The text a spooled message carries besides its content, with no I/O: the
// envelope written before the content (who sent it, from which client and
// listener, to whom, how it was encoded) and the delivery state kept beside it
// (per recipient: pending, sent, failed or deferred, with the attempts and
// the upstream's last reply; for the message: held or not, the next try, and
// the last 20 attempts: when, where, to whom, what came of it).
//
// Both are line-based "key value" text so an admin can read them with less,
// and every value is percent-encoded outside printable ASCII (and for '%'
// itself), so no address, HELO name or upstream reply can add a line: what a
// client sent cannot become a second recipient on disk. Parsing is strict and
// bounded (a fuzz target covers it): an unknown key, a missing field, a
// recipient index out of range or a line over the limit makes the record
// corrupt, and the spool moves such a message aside instead of guessing.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::queue {

using WallTime = std::chrono::system_clock::time_point;

enum class Body { SevenBit, EightBitMime, BinaryMime };
std::string_view to_string(Body body);  // "7bit", "8bitmime", "binarymime"

struct SpooledEnvelope {
  std::string id;
  WallTime received{};
  std::string client;    // "192.0.2.7:51234"
  std::string helo;      // as the client gave it
  std::string listener;  // the listener's name
  std::string user;      // the relay user that authenticated; empty: none
  std::string route;     // the route chosen at MAIL FROM
  std::string from;      // empty: the null reverse-path <>
  std::vector<std::string> recipients;
  Body body = Body::SevenBit;
  bool smtputf8 = false;
  // Set: a delivery status notification the relay made about message
  // <bounce_of> (its `from` is then the null sender: it is never bounced).
  std::string bounce_of;
};

enum class RecipientStatus { Pending, Sent, Failed, Deferred };
std::string_view to_string(RecipientStatus status);

struct RecipientState {
  RecipientStatus status = RecipientStatus::Pending;
  std::uint32_t attempts = 0;
  // The upstream's reply (or our reason) as it was: any bytes, not escaped for
  // display (the record percent-encodes it; whoever prints it escapes it).
  std::string last_reply;
};

// One delivery attempt as `mailoauth queue show` lists it: one per group of
// recipients that came out alike (the log line's fields, delivery_log.hpp).
struct AttemptRecord {
  WallTime when{};
  std::string status;  // "sent", "deferred" or "bounced"
  std::string relay;   // "host[ip]:port", a Graph URL, or "none"
  std::string to;      // "a@x,b@y"
  std::string reply;   // raw, like last_reply
};

struct DeliveryState {
  bool hold = false;
  std::uint32_t attempts = 0;              // delivery attempts of the message
  std::optional<WallTime> next_attempt;    // nullopt: as soon as possible
  std::vector<RecipientState> recipients;  // one per envelope recipient, same order
  // The sender was sent its one delay warning (delay_warning_time): never again.
  bool delay_warned = false;
  // The latest attempts, oldest first, at most kMaxAttemptHistory (add_attempt drops the oldest).
  std::vector<AttemptRecord> history;

  // A state for an envelope that has not been tried yet.
  static DeliveryState fresh(std::size_t recipient_count);
  bool finished() const;  // no recipient pending or deferred
  bool any_failed() const;
  // Appends `record` (its texts cut to kMaxHistoryText) and keeps the last kMaxAttemptHistory.
  void add_attempt(AttemptRecord record);
};

// The header block written before the content: ends with an empty line.
std::string encode_envelope(const SpooledEnvelope& envelope);
// Reads the header block at the start of `text`; `header_size` gets its length
// (the content starts there). Errors: queue.corrupt (Bug class: the spool, not a
// peer, wrote it).
core::Result<SpooledEnvelope> parse_envelope(std::string_view text, std::size_t& header_size);

std::string encode_state(const DeliveryState& state);
core::Result<DeliveryState> parse_state(std::string_view text, std::size_t recipient_count);

// The longest header or state block the parsers accept: generous, since a
// message may have thousands of recipients, and bounded, since it is read
// into memory whole.
inline constexpr std::size_t kMaxRecordSize = 4 * 1024 * 1024;
// The longest last_reply a state record keeps (bytes; longer ones are cut
// when encoded), so a recipient line stays readable whatever the reply holds.
inline constexpr std::size_t kMaxStoredReply = 4096;
// The attempt history a state keeps, and the longest text of each of its fields.
inline constexpr std::size_t kMaxAttemptHistory = 20;
inline constexpr std::size_t kMaxHistoryText = 1024;

}  // namespace mailoauth::queue
