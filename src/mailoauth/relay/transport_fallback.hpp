// The decisions of a relay route with `transport = "auto"`: SMTP first; after
// a refusal that means "SMTP AUTH is off for this tenant or mailbox" (the
// SMTP reply catalogue's entries, as delivery::graph_may_help names them: no
// text is matched here a second time), Graph sendMail for the route's
// `graph_fallback_time`; then SMTP again, and Graph again if it still refuses.
// Any other refusal (5.7.8 bad credentials, a token that cannot be had, a
// network failure, a refused recipient) never switches: Graph would not help
// or would hide a fault to fix.
//
// Pure, so every rule is a unit test: the state is plain data the scheduler
// keeps per route name (so it survives a SIGHUP reload), and the time comes
// from an injected core::Clock, so the window is tested without sleeping.
// Also here: whether a route's account can use Graph at all (checked at
// start and by `relay check-config`, so a fallback that could never work is
// found before the night it is needed).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/account.hpp"

namespace mailoauth::relay {

// The transport an auto route uses now.
enum class ActiveTransport { Smtp, Graph };
std::string_view to_string(ActiveTransport transport);

// One auto route's state: which transport, since when, why.
struct FallbackState {
  ActiveTransport active = ActiveTransport::Smtp;
  core::Clock::MonotonicTime since{};  // when Graph took over (the window counts from here)
  core::Clock::WallTime since_wall{};  // the same, for the log and status
  std::string reason;                  // the SMTP refusal that switched it, one line
  // Back on SMTP after the window: the next SMTP login says whether SMTP
  // works again (logged once) or the route goes back to Graph.
  bool probing = false;
};

// Before each attempt: the transport to use. On Graph once `window` has run
// out, the route goes back to SMTP (state updated, `*window_over` set so the
// caller logs the return); otherwise the state is unchanged.
ActiveTransport transport_for_attempt(FallbackState& state, const core::Clock& clock,
                                      std::chrono::seconds window, bool* window_over);

// Whether this SMTP error (from connecting and logging in) sends the route
// to Graph: exactly delivery::graph_may_help's refusals.
bool switches_to_graph(const core::Error& smtp_error);

// The switch, after a refusal switches_to_graph accepted. False when the
// route was on Graph already (another session's refusal came first): the
// caller logs only a real switch.
bool switch_to_graph(FallbackState& state, const core::Clock& clock, std::string reason);

// An SMTP login worked. True when this ends a probe after the window (the
// caller logs that SMTP works again).
bool smtp_worked(FallbackState& state);

// Whether `token_account` (the route account's graph_account, else the
// account itself) can get a token Graph takes: a Microsoft account whose
// scopes are on Graph (app-only "<graph>/.default", where the Mail.Send
// application role is checked by Graph; delegated Mail.Send or
// Mail.Send.Shared). Microsoft gives one token per resource, so an account
// with Exchange's SMTP scopes cannot: it needs a graph_account. Google has
// no Graph. A generic provider cannot be told apart and is taken at its word.
core::Result<void> check_graph_credential(const oauth2::Account& token_account,
                                          std::string_view route_name);

}  // namespace mailoauth::relay
