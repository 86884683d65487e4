// Route choice by specificity; see routing.hpp.
#include "mailoauth/relay/routing.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/relay/relay_users.hpp"

namespace mailoauth::relay {

namespace {

constexpr int kSenderAddress = 8;
constexpr int kSenderDomain = 4;
constexpr int kUser = 2;
constexpr int kListener = 1;

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The route's specificity for the query, or nullopt when one of its lists
// does not match.
std::optional<int> score(const RouteMatch& route, const RouteQuery& query) {
  int specificity = 0;
  if (!route.senders.empty()) {
    SenderMatch best = SenderMatch::None;
    for (const std::string& pattern : route.senders) {
      best = std::max(best, match_sender(pattern, query.sender));
    }
    if (best == SenderMatch::None) return std::nullopt;
    specificity += best == SenderMatch::Address ? kSenderAddress : kSenderDomain;
  }
  if (!route.users.empty()) {
    if (query.user.empty() || !listed(route.users, query.user)) return std::nullopt;
    specificity += kUser;
  }
  if (!route.listeners.empty()) {
    if (!listed(route.listeners, query.listener)) return std::nullopt;
    specificity += kListener;
  }
  return specificity;
}

bool overlap(const std::vector<std::string>& a, const std::vector<std::string>& b,
             bool case_insensitive) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      std::string_view left = x;
      std::string_view right = y;
      if (left.starts_with('@')) left.remove_prefix(1);
      if (right.starts_with('@')) right.remove_prefix(1);
      if (case_insensitive ? core::iequals(left, right) : left == right) return true;
    }
  }
  return false;
}

}  // namespace

std::optional<RouteChoice> choose_route(const std::vector<RouteMatch>& routes,
                                        const RouteQuery& query) {
  std::optional<RouteChoice> best;
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const auto specificity = score(routes[i], query);
    if (specificity && (!best || *specificity > best->specificity)) {
      best = RouteChoice{i, *specificity};
    }
  }
  return best;
}

core::Result<void> check_routes(const std::vector<RouteMatch>& routes,
                                const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < routes.size(); ++i) {
    for (const std::string& pattern : routes[i].senders) {
      if (!is_valid_sender_pattern(pattern)) {
        return core::fail(core::ErrorClass::Config, "relay.bad_route",
                          fmt::format("route {}: \"{}\" is not a sender address or domain",
                                      names[i], pattern.substr(0, 80)),
                          "write scanner@contoso.com for one address or contoso.com for a domain");
      }
    }
    for (std::size_t j = i + 1; j < routes.size(); ++j) {
      if (overlap(routes[i].senders, routes[j].senders, true) &&
          overlap(routes[i].users, routes[j].users, false) &&
          overlap(routes[i].listeners, routes[j].listeners, false)) {
        return core::fail(
            core::ErrorClass::Config, "relay.ambiguous_routes",
            fmt::format("routes {} and {} both match the same messages equally well", names[i],
                        names[j]),
            "make one of them more specific (a sender address, a user or a listener), or merge "
            "them");
      }
    }
  }
  return {};
}

}  // namespace mailoauth::relay
