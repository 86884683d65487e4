// One delivery attempt of a spooled message to a route's SMTP upstream, and
// the rules that turn what the upstream said into durable per-recipient state.
//
// Split in two on purpose. The rules are pure functions over plain data
// (queue::DeliveryState, smtp::SendReport): accepted → Sent; 5xx → Failed
// with the reply kept (relay/bounce_generator tells the sender); 4xx, a
// broken connection, a token that could not be had → Deferred with the next attempt from the
// backoff schedule; past the queue lifetime a deferred recipient fails. The
// I/O — opening and authenticating an smtp::Session with a token from the
// relay's oauth2::TokenSource (a refused token renewed once,
// oauth2::renew_once_async) and streaming the content from the spool through
// relay/spool_message_reader — is the coroutine half, so the scheduler decides when
// and the rules decide what, and neither needs the other to be tested.
//
// A token that cannot be had, or a login refused twice, is a configuration
// fault: the message is deferred (never failed, never bounced) and the log
// says which account to fix. Asio-facing: part of mailoauth_net.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/renew_once_async.hpp"
#include "mailoauth/oauth2/token_source.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/relay/delivery_log.hpp"
#include "mailoauth/relay/relay_config.hpp"
#include "mailoauth/sasl/mechanism.hpp"
#include "mailoauth/smtp/client.hpp"
#include "mailoauth/smtp/message_source.hpp"

namespace mailoauth::relay {

// A route resolved against the accounts config at start: where and as whom.
// `fault` set: every attempt on this route is deferred with it (an account
// that does not exist, a server that cannot be resolved).
struct UpstreamRoute {
  const RouteConfig* config = nullptr;
  std::shared_ptr<const oauth2::Account> account;
  smtp::ClientSettings settings;
  std::vector<sasl::Mechanism> mechanisms;
  std::string user;  // the SASL user (the account's mailbox)
  std::optional<core::Error> fault;
};

// The account pointer shares ownership of `accounts`.
UpstreamRoute resolve_upstream(const RouteConfig& route,
                               const std::shared_ptr<const oauth2::AccountsConfig>& accounts,
                               const std::string& helo_name);

// --- the rules (pure) ---------------------------------------------------------

// The longest reply (or reason) kept per recipient, in bytes. Kept as the
// upstream sent it, NOT escaped: the spool record percent-encodes it on disk
// and whatever prints it (the logger) escapes it, once. A reply line may be
// 4 KiB of non-ASCII bytes; bounded, its encoded form stays far below the
// spool record's line limit.
inline constexpr std::size_t kMaxKeptReply = 1000;
// `text` cut to kMaxKeptReply bytes, not inside a UTF-8 sequence.
std::string kept_reply(std::string_view text);
// The reply that decided a transaction ("code first-line", raw, bounded): the
// final reply after the content, else the one to DATA, else the last refused
// RCPT's, else MAIL's.
std::string deciding_reply(const smtp::SendReport& report);

// The wait before attempt `attempts + 1`: 1, 5, 15, 30, 60, 120, 240 × first,
// then 240 × first each time.
std::chrono::seconds retry_delay(std::uint32_t attempts, std::chrono::seconds first);

// A reply that means "you are sending too much / too many connections":
// 432 4.3.2, or 4.7.x whose text speaks of throttling, concurrency or a limit.
bool is_throttling(const smtp::Reply& reply);

// The recipients (indices into the envelope) still to deliver: neither Sent nor Failed.
std::vector<std::size_t> pending_recipients(const queue::DeliveryState& state);

// The upstream's report for the recipients `tried` (in the order sent).
void record_report(queue::DeliveryState& state, const std::vector<std::size_t>& tried,
                   const smtp::SendReport& report);
// Nothing was decided by the upstream (connection, token, AUTH, a broken
// session): every tried recipient Deferred with `reason` — or Failed when
// `permanent` (the message itself can never be sent, e.g. larger than the
// server's SIZE).
void record_failure(queue::DeliveryState& state, const std::vector<std::size_t>& tried,
                    const std::string& reason, bool permanent);
// After an attempt: counts it; a deferred recipient past the lifetime fails;
// otherwise the next attempt from the schedule (at least `not_before`).
void finish_attempt(queue::DeliveryState& state, queue::WallTime now, queue::WallTime received,
                    const RelayLimits& limits,
                    std::optional<queue::WallTime> not_before = std::nullopt);

// A route's message rate: at most `per_minute` message starts in any 60 s
// (a sliding window, so a burst up to the limit goes at once and the next
// waits for the oldest start to leave the window).
class RateWindow {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateWindow(unsigned per_minute = 30) : per_minute_(per_minute) {}
  // How long before the next message may start (zero: now).
  Clock::duration wait(Clock::time_point now);
  void started(Clock::time_point now) { starts_.push_back(now); }
  // The attempt that started at `started` ended at `now`: from here on it
  // counts from its end, because the upstream saw its MAIL command somewhere
  // in between. Counted from the start, an attempt that first waited for a
  // connection and a login let the upstream see one message too many in 60 s
  // (test_tenants.sh saw 7 of 6 within 59.9 s).
  void finished(Clock::time_point started, Clock::time_point now);

 private:
  unsigned per_minute_;
  std::deque<Clock::time_point> starts_;
};

// --- the I/O ---------------------------------------------------------------------

// The relay's token getter for renew_once_async: the account's token from
// the TokenSource (renewed when asked), with a deadline; `token_fault` is set
// when none could be had (the account's fault, not the message's). Shared by
// the SMTP and Graph paths.
oauth2::AsyncTokenGetter relay_token_getter(std::shared_ptr<const oauth2::Account> account,
                                            oauth2::TokenSource* tokens, bool* token_fault);

// How long open_upstream's steps took, for the relay's metrics; a step not
// reached stays unset. connect: TCP, TLS and EHLO; auth: the SASL exchange
// (the last one, when a refused token was renewed).
// An open, authenticated session to the route's upstream, or why not.
// `token_fault` is set when the error is the account's (no token, refused
// twice); `renewed` when the upstream refused the first token and a renewed
// one was asked for. `timings` (when given) gets the connect and auth times
// for the log line's delays=; `peer` (when given) the upstream's ip:port
// once connected, kept when AUTH then fails (the log line's relay=).
boost::asio::awaitable<core::Result<std::unique_ptr<smtp::Session>>> open_upstream(
    const UpstreamRoute* route, oauth2::TokenSource* tokens, bool* token_fault, bool* renewed,
    AttemptTimings* timings = nullptr, std::string* peer = nullptr);

}  // namespace mailoauth::relay
