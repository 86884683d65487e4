// The relay's per-session decisions that need the configuration but no
// socket, kept pure so they are unit-tested: which route a sender takes at
// MAIL FROM (a relay user's sender ownership first, then the config's routes
// by specificity; a refusal is 550 5.7.1 with a sentence saying why, so the
// device shows the reason at once), the Received: trace header put before
// a message's content (RFC 5321 4.4), and the budget of failed logins per
// client address across sessions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/relay/client_network.hpp"
#include "mailoauth/relay/relay_config.hpp"
#include "mailoauth/relay/relay_users.hpp"
#include "mailoauth/smtp/server_session.hpp"

namespace mailoauth::relay {

// The route for a message at MAIL FROM: the relay user's sender ownership
// first, then the config's routes; a refusal is 550 5.7.1 with a sentence
// saying why. `matches` is config.route_matches(), made once by the caller.
smtp::RouteAnswer lookup_route(const RelayConfig& config, const std::vector<RouteMatch>& matches,
                               const std::vector<RelayUser>& users, std::string_view listener,
                               std::string_view user, std::string_view sender);

// The Received: header (RFC 5321 4.4) for a message, CRLF-terminated and folded.
struct TraceFacts {
  std::string helo;
  std::string client_ip;
  std::string hostname;
  bool esmtp = true;
  bool tls = false;
  bool authenticated = false;
  std::string queue_id;
  std::vector<std::string> recipients;
  core::Clock::WallTime time{};
};
std::string received_header(const TraceFacts& facts);

const RelayUser* find_relay_user(const std::vector<RelayUser>& users, std::string_view name);

// Failed AUTH per client address across sessions (the session itself closes
// after 3): at most `limit` failures in any `window`; at the limit the
// address's AUTH is answered 454 4.7.0 without checking the password (no
// guess, no Argon2id) until its oldest failure is `window` old. Like
// Postfix's anvil (smtpd_client_auth_rate_limit), but it counts failures, so
// a device that logs in correctly is never slowed down. A check in progress
// counts against the budget (begin() .. finish()), so parallel sessions of
// one address cannot run past it. IPv6 clients are counted per /64, the
// block one host usually has. At most `max_addresses` are tracked: when full,
// entries with no failure in the window go first, then the one whose last
// failure is oldest. Used on the listener's one event-loop thread: no lock.
class AuthFailureBudget {
 public:
  using Clock = std::chrono::steady_clock;
  // `limit` 0: no budget (only the per-session limit).
  AuthFailureBudget(unsigned limit, Clock::duration window, std::size_t max_addresses = 10000);
  // Whether a password from `address` may be checked now; true counts a
  // check in progress until finish().
  bool begin(const IpAddress& address, Clock::time_point now);
  void finish(const IpAddress& address, bool failed, Clock::time_point now);
  std::size_t tracked() const { return entries_.size(); }

 private:
  using Key = std::array<std::uint8_t, 16>;
  struct Entry {
    std::deque<Clock::time_point> failures;  // within the window, oldest first
    unsigned checking = 0;
  };
  static Key key_of(const IpAddress& address);
  void forget_old(Entry& entry, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  unsigned limit_;
  Clock::duration window_;
  std::size_t max_addresses_;
  std::map<Key, Entry> entries_;
};

}  // namespace mailoauth::relay
