// When the relay tells a sender what became of its message, and how the
// notification (relay/delivery_status_notification) gets into the spool.
//
// After every delivery attempt the scheduler hands the message here (one
// call, before its state is written). Recipients that failed in this attempt
// — a 5xx, Graph's permanent refusal, or the queue lifetime running out —
// make ONE "failed" notification for the message; a message still not
// delivered `delay_warning_time` after it was received makes one "delayed"
// notification, once (DeliveryState::delay_warned, written with the state).
// Never for the null sender <> (which is also what every notification the
// relay makes carries in the spool, with `bounce_of`, so a notification is
// never bounced: no loops), never for a message that is itself an automatic
// reply (Auto-Submitted: auto-replied) or a report (multipart/report), and
// never on a route with `bounces = false`.
//
// The notification is a new message in the spool, made durable through
// Spool::begin/append/commit on the thread pool BEFORE the original's state
// is written: a crash in between sends it twice at worst (the Message-ID is
// the same both times), never zero times. It goes to the original envelope
// sender through the original's route. Only the original's header section
// is read back from the spool (at most kMaxReturnedHeader), never its body.
//
// The decisions are pure functions (unit-tested); the coroutine does the
// spool work on the pool and the log lines. Asio-facing: mailoauth_net.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/relay/delivery_status_notification.hpp"
#include "mailoauth/relay/relay_config.hpp"

namespace mailoauth::relay {

// --- the rules (pure) ---------------------------------------------------------

// What an attempt calls for: a notification with this action about these
// recipients (indices into the envelope), or none and why (for the log;
// empty when there was nothing to tell).
struct NotificationPlan {
  std::optional<DsnAction> action;
  std::vector<std::size_t> recipients;
  std::string skipped;  // "null sender", "bounces = false on this route", ...
};
// `tried`: the recipients this attempt was for (after finish_attempt, so a
// recipient the lifetime failed is Failed). `delay_warning`: zero is off.
NotificationPlan plan_notification(const queue::SpooledEnvelope& envelope,
                                   const queue::DeliveryState& state,
                                   const std::vector<std::size_t>& tried, queue::WallTime now,
                                   bool bounces, std::chrono::seconds delay_warning);

// The route's delay_warning_time, else the global one (zero: off).
std::chrono::seconds effective_delay_warning(const RouteConfig& route, const RelayLimits& limits);

// Why a message's own header says it must not be answered, or nullopt:
// Auto-Submitted: auto-replied (a vacation notice, another system's bounce;
// RFC 3834 5.2) or a multipart/report. "auto-generated" (cron, monitoring)
// is still told of its failures: its sender wants to know.
std::optional<std::string> automatic_reply_reason(std::string_view header);

// The header section at the start of `content` (up to and without its blank
// line); `truncated` when it did not end within kMaxReturnedHeader bytes (then
// cut after the last whole line).
std::string header_section(std::string_view content, bool& truncated);

// MAIL FROM upstream for a message of `route`: for a notification the relay
// made (bounce_of set) the route's mailbox (bounce_from when set) or <> as
// bounce_envelope_from says; for any other message the route's sender rewrite.
core::Result<std::string> upstream_envelope_from(const RouteConfig& route,
                                                 std::string_view account_mailbox,
                                                 const queue::SpooledEnvelope& envelope);

// The envelope of a notification about `original`: the null sender, the
// original sender as the one recipient, the same route, bounce_of set.
queue::SpooledEnvelope notification_envelope(const queue::SpooledEnvelope& original,
                                             std::string_view hostname);

// For `relay check-config`, what differs from the defaults: "; bounces off",
// or "; bounces from a@b; bounces with MAIL FROM <>; delay warning after 14400 s";
// empty for a route that bounces as it does by default.
std::string describe_bounces(const RouteConfig& route, const RelayLimits& limits);

// --- the I/O ---------------------------------------------------------------------

struct BounceServices {
  const RelayConfig* config = nullptr;  // hostname, limits
  queue::Spool* spool = nullptr;
  boost::asio::thread_pool* pool = nullptr;
  core::Logger* logger = nullptr;
};

// The route as the notification needs it.
struct BounceRoute {
  const RouteConfig* config = nullptr;
  std::string mailbox;     // the account's mailbox (the notification's From by default)
  std::string remote_mta;  // the upstream's host, for Remote-MTA
  bool graph = false;      // a Graph route: a failure there is Graph's refusal
};
// `upstream`: the SMTP host, or a Graph route's base URL (its host is taken).
BounceRoute bounce_route(const RouteConfig* config, std::string mailbox, std::string_view upstream,
                         bool graph);

// After an attempt of queued message `message` (state already updated by
// the rules): the notification it calls for, spooled durably; returns its
// queue id, for the scheduler to deliver on the same route. Sets
// message->state.delay_warned when the delay warning is done with. A
// notification that cannot be spooled is logged (the failure stays recorded
// in failed/ID.state) and returns nullopt.
boost::asio::awaitable<std::optional<std::string>> notify_sender(
    BounceServices services, const BounceRoute* route, queue::SpooledMessage* message,
    const std::vector<std::size_t>* tried);

}  // namespace mailoauth::relay
