// Which route carries a message: chosen at MAIL FROM from the listener the
// client came in on, the relay user it logged in as (if any) and the
// envelope sender, so a sender with no route is refused there (550 5.7.1 with
// a sentence saying why) and the device shows the error at once instead of
// the mail vanishing later. Pure: the routes are data from the config.
//
// A route lists what it matches: sender addresses and/or domains, relay
// users, listeners; every list it has must match. The most specific match
// wins — a sender address over a sender domain, then a user, then a
// listener — so "scanner@contoso.com goes through the shared mailbox, the
// rest of contoso.com through the app" needs no ordering. Two routes equally
// specific for the same message are a configuration error found at load
// (check_routes), never a coin toss at run time.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::relay {

struct RouteMatch {
  std::vector<std::string> senders;    // addresses or domains (relay_users' patterns)
  std::vector<std::string> users;      // relay user names
  std::vector<std::string> listeners;  // listener names
};

// Who is asking, at MAIL FROM.
struct RouteQuery {
  std::string_view listener;
  std::string_view user;    // empty: no AUTH
  std::string_view sender;  // empty: the null sender <>
};

// The index of the chosen route in `routes` (the first of the most specific),
// or nullopt when none matches.
struct RouteChoice {
  std::size_t index = 0;
  int specificity = 0;
};
std::optional<RouteChoice> choose_route(const std::vector<RouteMatch>& routes,
                                        const RouteQuery& query);

// Load-time check: every pattern valid, and no two routes that tie for some
// message (same criteria kinds with an overlapping value). `names` are the
// routes' names, in the same order, for the error message.
core::Result<void> check_routes(const std::vector<RouteMatch>& routes,
                                const std::vector<std::string>& names);

}  // namespace mailoauth::relay
