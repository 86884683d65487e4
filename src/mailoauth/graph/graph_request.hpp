// One Graph request and its repeats — the rules sendMail and every step of
// the large-message path (draft, attachments, upload session, chunks, send)
// share, so they are written once:
//   - repeated when it provably did not take effect: no connection or the
//     body not fully sent, 429, 503 with Retry-After;
//   - a step that sends mail (sendMail, /send) is not idempotent: a timeout
//     after the body went out, 500, 502, 504 or a bare 503 come back as
//     graph.maybe_sent; any other step (creating the draft, adding an
//     attachment, a chunk) is repeated on those too, since nothing is sent
//     until the final /send;
//   - Retry-After is honoured in full, never shortened, within the caller's
//     total wait (GraphSettings::max_total_wait, per step); without one, the
//     Graph SDKs' backoff (3 s doubled, at most 180 s); beyond the wait the
//     error carries the Retry-After so a relay can defer;
//   - a 401 ends the step with `status` 401 (the caller renews the token once);
//   - every answer is logged with Graph's request-id and our client-request-id.
// The answers a step expects (201, 202, 200, ...) come back as responses;
// every other answer as an explained error (explain_graph_error).
#pragma once

#include <initializer_list>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"

namespace mailoauth::graph {

struct GraphStep {
  std::string_view operation;  // "sendMail", "createUploadSession", ... for messages and logs
  std::vector<long> expected;  // answers that end the step
  bool sends_mail = false;     // the step that sends: never repeated when it may have sent
};

struct StepCounters {
  int attempts = 0;
  long status = 0;  // the last answer's status; 0 when none came
};

// `access_token` null: no Authorization header (an upload URL is
// pre-authenticated and must not get one). `mailbox` names the mailbox in
// messages.
core::Result<oauth2::HttpResponse> perform_graph_step(
    oauth2::HttpClient& http, const GraphSettings& settings, std::string_view mailbox,
    oauth2::HttpRequest& request, const core::Secret* access_token, const GraphStep& step,
    std::string_view client_request_id, oauth2::Sleeper& sleeper, StepCounters& counters);

// The request's deadline: the client's total timeout plus `body_size` bytes
// at the slowest upload rate expected (4 MB at 256 kbit/s: two minutes).
std::chrono::milliseconds graph_deadline(const GraphSettings& settings,
                                         std::chrono::milliseconds client_timeout,
                                         std::size_t body_size);

}  // namespace mailoauth::graph
