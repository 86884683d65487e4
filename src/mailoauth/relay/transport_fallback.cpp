// The auto route's rules; see transport_fallback.hpp.
#include "mailoauth/relay/transport_fallback.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/delivery/graph_fallback.hpp"

namespace mailoauth::relay {

namespace {

// Graph's resources in every cloud (FACTS.md: the token's audience), as a
// scope's prefix; the account's own graph_url is taken too.
constexpr std::array<std::string_view, 5> kGraphResources{
    "https://graph.microsoft.com/", "https://graph.microsoft.us/",
    "https://dod-graph.microsoft.us/", "https://microsoftgraph.chinacloudapi.cn/",
    "00000003-0000-0000-c000-000000000000/"};

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && core::iequals(text.substr(0, prefix.size()), prefix);
}

// The permission a scope names on Graph ("Mail.Send", ".default"), or empty
// when it is another resource's. A scope without a resource is Graph's
// (Entra's rule), except OpenID Connect's own.
std::string_view graph_permission(std::string_view scope, std::string_view graph_url) {
  for (std::string_view resource : kGraphResources) {
    if (starts_with_ignoring_case(scope, resource)) return scope.substr(resource.size());
  }
  if (!graph_url.empty()) {
    const std::string own = std::string(graph_url) + (graph_url.ends_with('/') ? "" : "/");
    if (starts_with_ignoring_case(scope, own)) return scope.substr(own.size());
  }
  if (scope.find("://") != std::string_view::npos || scope.find('/') != std::string_view::npos) {
    return {};
  }
  for (std::string_view oidc : {"openid", "profile", "email", "offline_access"}) {
    if (core::iequals(scope, oidc)) return {};
  }
  return scope;
}

bool sends_with_graph(std::string_view permission) {
  return core::iequals(permission, ".default") || core::iequals(permission, "Mail.Send") ||
         core::iequals(permission, "Mail.Send.Shared");
}

}  // namespace

std::string_view to_string(ActiveTransport transport) {
  return transport == ActiveTransport::Graph ? "graph" : "smtp";
}

ActiveTransport transport_for_attempt(FallbackState& state, const core::Clock& clock,
                                      std::chrono::seconds window, bool* window_over) {
  *window_over = false;
  if (state.active == ActiveTransport::Smtp) return ActiveTransport::Smtp;
  if (clock.monotonic() - state.since < window) return ActiveTransport::Graph;
  state.active = ActiveTransport::Smtp;
  state.probing = true;
  *window_over = true;
  return ActiveTransport::Smtp;
}

bool switches_to_graph(const core::Error& smtp_error) {
  return delivery::graph_may_help(smtp_error);
}

bool switch_to_graph(FallbackState& state, const core::Clock& clock, std::string reason) {
  if (state.active == ActiveTransport::Graph) return false;
  state.active = ActiveTransport::Graph;
  state.since = clock.monotonic();
  state.since_wall = clock.now();
  state.reason = std::move(reason);
  state.probing = false;
  return true;
}

bool smtp_worked(FallbackState& state) {
  if (state.active != ActiveTransport::Smtp) return false;
  const bool ended_probe = state.probing;
  state.probing = false;
  state.reason.clear();
  return ended_probe;
}

core::Result<void> check_graph_credential(const oauth2::Account& token_account,
                                          std::string_view route_name) {
  using oauth2::ProviderKind;
  if (token_account.provider == ProviderKind::Generic) return {};
  const std::string where = fmt::format("route \"{}\" (transport = \"auto\"): account \"{}\"",
                                        route_name, token_account.name);
  if (token_account.provider == ProviderKind::Google) {
    return core::fail(core::ErrorClass::Config, "relay.auto_without_graph",
                      where + " is a Google account, and Google has no Microsoft Graph",
                      "use transport = \"smtp\" for this route");
  }
  const bool on_graph = std::ranges::any_of(token_account.scopes, [&](const std::string& scope) {
    return sends_with_graph(graph_permission(scope, token_account.graph_url));
  });
  if (on_graph) return {};
  return core::fail(
      core::ErrorClass::Config, "relay.auto_without_graph",
      where + " has no token Graph's sendMail takes (its scopes are not Graph's Mail.Send or " +
          "<graph>/.default, and Microsoft gives one token per resource)",
      "add an account with preset = \"graph\" (app-only: the Mail.Send application permission "
      "with admin consent, limited to the mailbox by an application access policy or RBAC for "
      "Applications; delegated: Mail.Send) and name it in this account's graph_account; see "
      "docs/relay.md, \"transport = auto\"");
}

}  // namespace mailoauth::relay
