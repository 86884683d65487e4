// The relay's delivery status notifications (RFC 3464 "bounces" and delay
// warnings) as bytes, with no I/O: what happened to which recipients goes in,
// a complete RFC 5322 message comes out, ready for the spool.
//
// The message is `multipart/report; report-type=delivery-status` (RFC 6522):
// part 1 a text/plain explanation a person can act on (which recipients, the
// upstream's reply quoted, what to do), part 2 `message/delivery-status`
// (Reporting-MTA, Arrival-Date, then per recipient Final-Recipient, Action,
// Status, Remote-MTA, Diagnostic-Code, Last-Attempt-Date), part 3
// `text/rfc822-headers`, the original message's header section.
//
// Shaped as a writer over plain data because what it writes is untrusted
// text from elsewhere: the upstream's reply, the addresses a device gave, the
// original header. Every value that reaches a header or a delivery-status
// field has CR, LF and other controls turned into spaces and non-ASCII bytes
// written as \xNN (message/delivery-status is US-ASCII), so a hostile reply
// cannot add a field or a part; long values are folded, and cut where they
// have no space to fold at, so no line exceeds 998 octets (RFC 5322 2.1.1).
// Parts 1 and 3 go as quoted-printable when they hold 8-bit bytes or long
// lines, so the whole notification is 7-bit and needs no 8BITMIME upstream.
// Lines end in CRLF. Deterministic: the same input gives the same bytes
// (the Message-ID comes from the caller), which is what the unit and
// property tests hold it to.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"

namespace mailoauth::relay {

enum class DsnAction { Failed, Delayed };
std::string_view to_string(DsnAction action);  // "failed", "delayed" (RFC 3464 2.3.3)

struct DsnRecipient {
  std::string address;  // the envelope recipient as the client gave it
  DsnAction action = DsnAction::Failed;
  // The upstream's reply ("550 5.1.1 text") or the relay's own reason, raw
  // and untrusted (any bytes).
  std::string reply;
  // The reply came from the upstream (an SMTP reply, or Graph's answer):
  // then Remote-MTA names it. False: the relay's own reason (no connection,
  // a configuration fault).
  bool from_upstream = false;
  bool expired = false;  // failed because the queue lifetime ran out
  std::optional<core::Clock::WallTime> last_attempt;
};

struct DsnInput {
  std::string reporting_mta;  // the relay's hostname
  std::string original_queue_id;
  core::Clock::WallTime arrival{};  // when the relay received the message
  core::Clock::WallTime now{};
  std::string from;        // the notification's author: the route's mailbox, or bounce_from
  std::string to;          // the original envelope sender (never empty: no bounce for <>)
  std::string message_id;  // without angle brackets: "local@domain"
  std::string remote_mta;  // the upstream's host name ("smtp.office365.com")
  std::vector<DsnRecipient> recipients;  // one action for all (failed or delayed)
  // The original header section (up to its blank line), at most
  // kMaxReturnedHeader bytes; `header_truncated` says it was cut there.
  std::string original_header;
  bool header_truncated = false;
  std::chrono::seconds queue_lifetime{0};  // for the text and Will-Retry-Until
};

// The most of the original header section a notification carries (Postfix's
// header_size_limit): read from the spool file up to here, never the body.
inline constexpr std::size_t kMaxReturnedHeader = 100 * 1024;

// The RFC 3463 status of a reply: its enhanced code ("5.1.1") when it has one
// whose class matches the reply code's, else 5.0.0 (permanent) / 4.0.0;
// `expired` without a code: 4.4.7 (delivery time expired).
std::string dsn_status(std::string_view reply, DsnAction action, bool expired);

// The whole notification, CRLF line endings, every line at most 998 octets.
std::string compose_delivery_status_notification(const DsnInput& input);

// A header's value made safe to write: CR, LF, tab and other controls become
// spaces, non-ASCII bytes \xNN, runs of spaces one space, trimmed.
std::string header_safe(std::string_view text);

}  // namespace mailoauth::relay
