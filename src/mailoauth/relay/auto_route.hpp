// A route with `transport = "auto"` resolved against the accounts: its Graph
// leg (a GraphRoute, as graph_delivery resolves one for transport = "graph")
// checked for a credential Graph takes (transport_fallback's
// check_graph_credential), and what it will do in one line for `relay
// check-config`. The SMTP leg is resolve_upstream's, as for any SMTP route.
// Kept out of scheduler.cpp and graph_delivery.cpp so the scheduler only
// asks and `check-config` says the same thing the scheduler decides.
// Asio-facing (GraphRoute): part of mailoauth_net.
#pragma once

#include <memory>
#include <string>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/relay/graph_delivery.hpp"
#include "mailoauth/relay/relay_config.hpp"

namespace mailoauth::relay {

// The route's Graph leg cannot work: the account or its graph_account is
// missing, names no mailbox, or has no token Graph takes. Then the route is
// faulty as a whole (its mail deferred, logged at start), as a Graph route
// would be: a fallback found broken on the night it is needed helps nobody.
core::Result<void> check_auto_route(const GraphRoute& graph_leg);

// "SMTP first; for 3600 s (graph_fallback_time) after SMTP AUTH is refused
// ..., then SMTP again: Microsoft Graph sendMail at URL/v1.0/users/MAILBOX/
// sendMail; ...", or why it cannot deliver.
std::string describe_auto_route(const RouteConfig& route,
                                const std::shared_ptr<const oauth2::AccountsConfig>& accounts);

}  // namespace mailoauth::relay
