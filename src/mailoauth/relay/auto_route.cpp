// The auto route's Graph leg checked and described; see auto_route.hpp.
#include "mailoauth/relay/auto_route.hpp"

#include <fmt/format.h>

#include "mailoauth/relay/transport_fallback.hpp"

namespace mailoauth::relay {

core::Result<void> check_auto_route(const GraphRoute& graph_leg) {
  if (graph_leg.fault) {
    return core::fail(
        core::Error(*graph_leg.fault)
            .context(fmt::format("the Graph leg of route \"{}\" (transport = \"auto\")",
                                 graph_leg.config->name)));
  }
  return check_graph_credential(*graph_leg.token_account, graph_leg.config->name);
}

std::string describe_auto_route(const RouteConfig& route,
                                const std::shared_ptr<const oauth2::AccountsConfig>& accounts) {
  const GraphRoute graph_leg = resolve_graph_route(route, accounts);
  if (auto usable = check_auto_route(graph_leg); !usable) {
    return "cannot deliver: " + usable.error().describe();
  }
  return fmt::format(
      "SMTP first; for {} s (graph_fallback_time) after SMTP AUTH is refused as switched off "
      "(5.7.139, 5.7.3), then SMTP again: {}",
      route.graph_fallback_time.count(), describe_graph_route(graph_leg));
}

}  // namespace mailoauth::relay
