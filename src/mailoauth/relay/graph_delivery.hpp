// One delivery attempt of a spooled message through Microsoft Graph sendMail,
// for routes with `transport = "graph"`, and the rules that turn Graph's
// answer into per-recipient state.
//
// Split like delivery_attempt.hpp, for the same reason. The rules are pure:
// judge_graph_result reads what graph::send_mime returned and says Sent,
// Failed or Deferred (and whether the route must pause), and
// record_graph_verdict writes it into queue::DeliveryState. Graph is
// all-or-nothing per request, so one verdict covers every recipient tried:
// 202 → Sent; 429 or 503 with Retry-After → Deferred and the route pauses at
// least that long; graph.maybe_sent (a timeout after the body went out, 500,
// 502, 504) → Deferred, because a possible duplicate is better than a loss;
// a token refused after one renewal, 403 ErrorAccessDenied, a mailbox Graph
// does not know → Deferred as a configuration fault, never Failed; Graph's
// other refusals of the message itself (ErrorInvalidRecipients, ...), and a
// message that cannot be given to Graph as it is (no RFC 5322 header) →
// Failed with the explanation. A message whose request would exceed
// sendMail's ~4 MB goes through a draft and upload sessions (send_mime
// chooses; graph/large_message.hpp), up to the account's
// graph_max_message_size; over it, it fails (graph.over_max_size).
//
// The I/O half, GraphDelivery, is a coroutine: the token from the relay's
// TokenSource (asynchronous; renewed once after a 401, as the SMTP path does
// after a refused AUTH), the content read and the request sent on a thread
// pool of its own — graph::send_mime is synchronous libcurl, so it must never
// run on the event loop, and a slow Graph request must not hold up the
// scheduler's state writes on the spool's pool. The request's deadline is
// libcurl's (HTTP total timeout plus the upload at a slow rate).
// Asio-facing: part of mailoauth_net.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/token_source.hpp"
#include "mailoauth/queue/spool.hpp"
#include "mailoauth/relay/relay_config.hpp"

namespace boost::asio {
class thread_pool;
}

namespace mailoauth::relay {

// A Graph route resolved against the accounts config at start.
struct GraphRoute {
  const RouteConfig* config = nullptr;
  std::shared_ptr<const oauth2::Account> account;        // the mailbox's account
  std::shared_ptr<const oauth2::Account> token_account;  // its graph_account, else itself
  std::string mailbox;                                   // users/{mailbox}/sendMail
  std::string base_url;                                  // the account's graph_url, else Graph's
  oauth2::HttpSettings http;
  std::size_t max_request_size = 4 * 1024 * 1024;  // of the base64 body (Graph's ~4 MB)
  std::optional<core::Error> fault;                // set: every attempt deferred with it
};

// The account pointers share ownership of `accounts`.
GraphRoute resolve_graph_route(const RouteConfig& route,
                               const std::shared_ptr<const oauth2::AccountsConfig>& accounts);

// What a Graph route will do, in one line for `relay check-config`.
std::string describe_graph_route(const GraphRoute& route);

// --- the rules (pure) ---------------------------------------------------------

enum class GraphOutcome {
  Sent,           // 202: Graph took it for every recipient tried
  Refused,        // Graph refused the message for good: the recipients fail
  Throttled,      // 429, 503 with Retry-After: deferred, the route pauses
  MaybeSent,      // may have been sent: deferred (a duplicate rather than a loss)
  Unreachable,    // never reached Graph (connection, DNS, TLS): deferred, the route pauses
  Configuration,  // the account, token, permission or mailbox: deferred, never failed
  TooLarge,       // Graph refused a request's size (413): deferred
  Temporary,      // anything else that may pass: deferred
};
std::string_view to_string(GraphOutcome outcome);

struct GraphVerdict {
  GraphOutcome outcome = GraphOutcome::Temporary;
  std::string reason;      // one line for the state file and the log
  std::string request_id;  // Graph's request-id of the 202 (support asks for it)
  // How long the route pauses at least (Graph's Retry-After when throttled).
  std::optional<std::chrono::seconds> pause;
  // How long the attempt waited for its token (a renewal included): the
  // auth part of the log line's delays=; the rest is the requests.
  std::chrono::steady_clock::duration token_wait{};
};

// What graph::send_mime returned (or a token that could not be had, as an
// error of class Config or with `token_fault`), judged.
GraphVerdict judge_graph_result(const core::Result<graph::SendResult>& result,
                                bool token_fault = false);

// The verdict for every recipient tried (indices into the envelope).
void record_graph_verdict(queue::DeliveryState& state, const std::vector<std::size_t>& tried,
                          const GraphVerdict& verdict);

// --- the I/O ---------------------------------------------------------------------

class GraphDelivery {
 public:
  // `threads`: how many Graph requests may run at once (the Graph routes'
  // connections together).
  GraphDelivery(std::size_t threads, oauth2::TokenSource* tokens, core::Logger* logger);
  ~GraphDelivery();
  GraphDelivery(const GraphDelivery&) = delete;
  GraphDelivery& operator=(const GraphDelivery&) = delete;

  // Waits for the requests in progress (each ends within its deadline); for
  // the owner's destructor, before the event loop their results go to is gone.
  void join();

  // Sends the message (content from the spool) to `recipients` (its pending
  // envelope recipients) through the route's mailbox. Pointers: the caller's,
  // alive until the result. Called on the event loop; resumes there.
  boost::asio::awaitable<GraphVerdict> deliver(const GraphRoute* route,
                                               queue::ContentReader* content,
                                               const std::vector<std::string>* recipients,
                                               std::string queue_id);

 private:
  std::unique_ptr<boost::asio::thread_pool> pool_;
  oauth2::TokenSource* tokens_;
  core::Logger* logger_;
};

}  // namespace mailoauth::relay
