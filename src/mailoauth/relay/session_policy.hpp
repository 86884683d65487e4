// The relay's per-session decisions that need the configuration but no
// socket, kept pure so they are unit-tested: which route a sender takes at
// MAIL FROM (a relay user's sender ownership first, then the config's routes
// by specificity; a refusal is 550 5.7.1 with a sentence saying why, so the
// device shows the reason at once), and the Received: trace header put before
// a message's content (RFC 5321 4.4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
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
}  // namespace mailoauth::relay
