// What the relay's delivery log line says, as data: Postfix's fields, which
// an admin already knows how to grep — one line per attempt per group of
// recipients that came out alike, with `to=`, `relay=host[ip]:port`,
// `delay=` (seconds since the message was received, one decimal),
// `delays=a/b/c/d` (in the queue before this attempt / connect, greeting,
// EHLO and TLS / the token and AUTH / the transaction), `dsn=x.y.z` and
// `status=sent|deferred|bounced`, with the upstream's reply.
//
// Pure: the scheduler hands in the state after the attempt and the timings
// the delivery code measured (AttemptTimings), and logs what comes back
// through core::Logger, so the line is logfmt or JSON like every other and
// every value is escaped there. No secret reaches it: the reply is the
// upstream's, the rest are addresses and numbers.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/queue/spool_record.hpp"

namespace mailoauth::relay {

// Where an attempt's time went (zero for a part that did not happen, such as
// connect and auth on a session already open).
struct AttemptTimings {
  std::chrono::steady_clock::duration connect{};   // TCP, greeting, EHLO, STARTTLS
  std::chrono::steady_clock::duration auth{};      // waiting for the token, and AUTH
  std::chrono::steady_clock::duration transfer{};  // MAIL FROM to the reply after the content
};

// Recipients of one attempt that came out the same way.
struct DeliveryLogGroup {
  std::string to;      // "a@x,b@y", in envelope order
  std::string status;  // "sent", "deferred" or "bounced" (Failed)
  std::string dsn;     // "2.0.0": the reply's enhanced code, else by status
  std::string reply;   // the recipient's last reply, raw (the logger escapes it)
};

// The tried recipients grouped by status and reply (the order of first
// appearance kept). `fallback_reply` stands for a recipient without one.
std::vector<DeliveryLogGroup> delivery_log_groups(const queue::DeliveryState& state,
                                                  const std::vector<std::string>& recipients,
                                                  const std::vector<std::size_t>& tried,
                                                  std::string_view fallback_reply);

// The enhanced status code (RFC 3463) after a reply's code ("250 2.1.5 Ok"
// gives "2.1.5"); empty when there is none.
std::string enhanced_status_code(std::string_view reply);

// "a/b/c/d" in seconds with two decimals.
std::string format_delays(std::chrono::system_clock::duration in_queue,
                          const AttemptTimings& timings);
// Seconds with one decimal ("1.2").
std::string format_delay(std::chrono::system_clock::duration delay);
// Postfix's relay=: "smtp.example.com[192.0.2.1]:587" from the host asked
// for and the peer connected to ("192.0.2.1:587", "[2001:db8::1]:587");
// "none" when there was no connection.
std::string format_relay(std::string_view host, std::string_view peer);

}  // namespace mailoauth::relay
