// What a Microsoft Graph refusal of sendMail means and what the admin should
// do about it: Graph's error codes ({"error":{"code","message"}}) as data,
// matched on the code, the HTTP status and a fragment of the message, most
// specific first. send_mail.cpp explains every refusal with it
// (explain_graph_error), `mailoauth explain` looks codes up in it, and
// docs/errors.md lists it. Pure: no I/O.
#pragma once

#include <span>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::graph {

struct GraphErrorEntry {
  std::string_view code;      // Graph's error code: "ErrorAccessDenied"
  long status;                // the HTTP status it must come with; 0: any
  std::string_view fragment;  // in the message (case-sensitive); empty: any
  core::ErrorClass error_class;
  std::string_view meaning;
  std::string_view remedy;
  std::string_view example;  // Graph's message as it sends it
};

// The first entry whose code, status and fragment match, if any.
const GraphErrorEntry* find_graph_error(long status, std::string_view code,
                                        std::string_view message);

// Every entry, in matching order, for `mailoauth explain`, documentation and tests.
std::span<const GraphErrorEntry> graph_error_catalogue();

// The advice for a 401/403 no entry knows; also the remedy of ErrorAccessDenied.
inline constexpr std::string_view kGraphAccessDeniedRemedy =
    "app-only: grant the Mail.Send application permission with admin consent, and if the tenant "
    "limits the app to some mailboxes (RBAC for Applications, or an application access policy: "
    "Test-ApplicationAccessPolicy), include this one; delegated: Mail.Send sends as the signed-in "
    "user only; a shared mailbox or another user needs Mail.Send.Shared (preset \"graph\" asks "
    "for it) and Send As or Send on Behalf on that mailbox";

}  // namespace mailoauth::graph
