// Graph routes: resolution, the verdict rules and the attempt; see graph_delivery.hpp.
#include "mailoauth/relay/graph_delivery.hpp"

#include <algorithm>
#include <array>
#include <functional>

#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>

#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/relay/delivery_attempt.hpp"
#include "mailoauth/relay/on_pool.hpp"

namespace mailoauth::relay {

namespace {

namespace asio = boost::asio;
using core::ErrorClass;
using queue::RecipientStatus;

// The HTTP client's deadline for one request; send_mime adds the upload's
// time at a slow rate (4 MB at 256 kbit/s: two more minutes).
constexpr std::chrono::seconds kRequestTimeout{60};
constexpr std::chrono::seconds kConnectTimeout{10};
// Graph allows 4 concurrent requests per mailbox; more threads than this
// only queue requests, which then wait for a thread (not on the event loop).
constexpr std::size_t kMaxThreads = 16;
// What the first attempt's refresh callback answers: "Graph said 401, renew
// asynchronously" (the renewal must not block a pool thread on the event loop).
constexpr std::string_view kRenewCode = "relay.graph_token_refused";

// Graph's refusals that are about the account, the token, its permissions or
// the mailbox — the configuration — and not about the message.
constexpr std::array<std::string_view, 8> kConfigurationCodes{
    "graph.ErrorAccessDenied",
    "graph.denied",
    "graph.InvalidAuthenticationToken",
    "graph.ErrorInvalidUser",
    "graph.ResourceNotFound",
    "graph.no_mailbox",
    "graph.MailboxNotEnabledForRESTAPI",
    "graph.bad_mailbox",
};

GraphVerdict verdict(GraphOutcome outcome, std::string reason) {
  GraphVerdict result;
  result.outcome = outcome;
  result.reason = core::escape_control_characters(reason);
  return result;
}

// The content, whole, from the spool (local disk): `size` bytes, which the
// relay's message size limit has bounded; the Graph path reads it in place.
core::Result<void> read_content(queue::ContentReader& content, std::string& message) {
  content.rewind();
  message.clear();
  message.reserve(content.size());
  while (message.size() < content.size()) {
    auto chunk = content.read(std::min<std::uint64_t>(content.size() - message.size(), 64 * 1024));
    if (!chunk) return core::fail(std::move(chunk.error()));
    if (chunk->empty()) break;
    message.append(*chunk);
  }
  if (message.size() != content.size()) {
    return core::fail(ErrorClass::Temporary, "relay.short_content",
                      fmt::format("the spooled content ended after {} of {} bytes", message.size(),
                                  content.size()));
  }
  return {};
}

// One sendMail, on a pool thread (libcurl blocks). `may_renew`: a 401 comes
// back as kRenewCode, for the caller to renew the token on the event loop.
core::Result<graph::SendResult> send_now(const GraphRoute& route, core::Secret token,
                                         const std::string& message,
                                         const std::vector<std::string>& recipients,
                                         core::Logger* logger, bool may_renew) {
  oauth2::HttpClient http(route.http);
  graph::GraphSettings settings;
  settings.base_url = route.base_url;
  settings.max_request_size = route.max_request_size;
  // Larger messages go through a draft and upload sessions, up to the mailbox's maximum.
  settings.max_message_size = route.account->graph_max_message_size;
  settings.max_attempts = 1;  // the relay defers and retries; a pool thread never sleeps
  settings.max_total_wait = std::chrono::seconds(0);
  settings.logger = logger;  // each answer with its request-id and client-request-id
  oauth2::RealSleeper sleeper;
  graph::RefreshToken refresh;
  if (may_renew) {
    refresh = []() -> core::Result<core::Secret> {
      return core::fail(ErrorClass::Config, std::string(kRenewCode),
                        "Graph refused the token (401)");
    };
  }
  return graph::send_mime(http, settings, route.mailbox, std::move(token), message, recipients,
                          sleeper, refresh);
}

}  // namespace

GraphRoute resolve_graph_route(const RouteConfig& route,
                               const std::shared_ptr<const oauth2::AccountsConfig>& accounts) {
  GraphRoute graph;
  graph.config = &route;
  auto found = accounts->find(route.account);
  if (!found) {
    graph.fault = std::move(found.error());
    return graph;
  }
  graph.account = std::shared_ptr<const oauth2::Account>(accounts, *found);
  graph.token_account = graph.account;
  if (!graph.account->graph_account.empty()) {
    auto other = accounts->find(graph.account->graph_account);
    if (!other) {
      graph.fault = std::move(other.error().context(
          fmt::format("the graph_account of account \"{}\"", graph.account->name)));
      return graph;
    }
    graph.token_account = std::shared_ptr<const oauth2::Account>(accounts, *other);
  }
  graph.mailbox = graph.account->user();
  graph.base_url =
      graph.account->graph_url.empty() ? "https://graph.microsoft.com" : graph.account->graph_url;
  while (graph.base_url.ends_with('/')) graph.base_url.pop_back();
  graph.http.connect_timeout = kConnectTimeout;
  graph.http.total_timeout = kRequestTimeout;
  graph.http.ca_file = graph.account->ca_file;
  if (graph.mailbox.empty()) {
    graph.fault = core::Error(
        ErrorClass::Config, "relay.graph_no_mailbox",
        fmt::format("route \"{}\": account \"{}\" names no mailbox to send from with Graph",
                    route.name, graph.account->name),
        "set mailbox = \"user@example.com\" in the account");
  }
  return graph;
}

std::string describe_graph_route(const GraphRoute& route) {
  if (route.fault) return "cannot deliver: " + route.fault->describe();
  std::string token = route.token_account == route.account
                          ? std::string()
                          : fmt::format(" with the token of account {}", route.token_account->name);
  return fmt::format(
      "Microsoft Graph sendMail at {}/v1.0/users/{}/sendMail{}; up to {} requests at once, "
      "{} messages a minute; messages over {} KB of request (base64) go through a draft and "
      "upload sessions, up to {} MB; a request that may have been sent (timeout, 500, 502, 504) "
      "is deferred and sent again",
      route.base_url, route.mailbox, token, route.config->connections,
      route.config->messages_per_minute, route.max_request_size / 1024,
      route.account ? route.account->graph_max_message_size >> 20 : 0);
}

std::string_view to_string(GraphOutcome outcome) {
  switch (outcome) {
    case GraphOutcome::Sent:
      return "sent";
    case GraphOutcome::Refused:
      return "refused";
    case GraphOutcome::Throttled:
      return "throttled";
    case GraphOutcome::MaybeSent:
      return "maybe_sent";
    case GraphOutcome::Unreachable:
      return "unreachable";
    case GraphOutcome::Configuration:
      return "configuration";
    case GraphOutcome::TooLarge:
      return "too_large";
    case GraphOutcome::Temporary:
      break;
  }
  return "temporary";
}

GraphVerdict judge_graph_result(const core::Result<graph::SendResult>& result, bool token_fault) {
  if (result) {
    GraphVerdict sent = verdict(
        GraphOutcome::Sent, result->request_id.empty()
                                ? "202 Accepted"
                                : fmt::format("202 Accepted request-id {}", result->request_id));
    sent.request_id = core::escape_control_characters(result->request_id);
    return sent;
  }
  const core::Error& error = result.error();
  const std::string& code = error.code();
  const std::string described = error.describe();
  if (token_fault)
    return verdict(GraphOutcome::Configuration, "configuration (account): " + described);
  if (code == "graph.maybe_sent") return verdict(GraphOutcome::MaybeSent, described);
  if (code == "graph.too_large") {
    return verdict(GraphOutcome::TooLarge,
                   described + "; deferred: Graph refused a request's size");
  }
  // The message cannot be given to Graph as it is (no RFC 5322 header, a
  // recipient that cannot be written into Bcc): it never will be.
  if (code.starts_with("mime.")) return verdict(GraphOutcome::Refused, described);
  if (std::ranges::find(kConfigurationCodes, code) != kConfigurationCodes.end() ||
      error.error_class() == ErrorClass::Config) {
    return verdict(GraphOutcome::Configuration, "configuration: " + described);
  }
  const bool graphs = code.starts_with("graph.");
  switch (error.error_class()) {
    case ErrorClass::Temporary:
      if (graphs) {  // 429, 503 with Retry-After: Graph turned it away, the route waits
        GraphVerdict throttled = verdict(GraphOutcome::Throttled, described);
        throttled.pause = error.retry_after();
        return throttled;
      }
      return verdict(GraphOutcome::Unreachable, described);
    case ErrorClass::Permanent:
      // Graph's refusal of this message fails it; a refusal that is not
      // about the message (TLS, a URL) waits for a fix.
      if (graphs) return verdict(GraphOutcome::Refused, described);
      return verdict(GraphOutcome::Configuration, "configuration: " + described);
    default:
      return verdict(GraphOutcome::Temporary, described);
  }
}

void record_graph_verdict(queue::DeliveryState& state, const std::vector<std::size_t>& tried,
                          const GraphVerdict& verdict) {
  const RecipientStatus status = verdict.outcome == GraphOutcome::Sent ? RecipientStatus::Sent
                                 : verdict.outcome == GraphOutcome::Refused
                                     ? RecipientStatus::Failed
                                     : RecipientStatus::Deferred;
  for (const std::size_t index : tried) {
    queue::RecipientState& recipient = state.recipients[index];
    ++recipient.attempts;
    recipient.status = status;
    recipient.last_reply = verdict.reason;
  }
}

GraphDelivery::GraphDelivery(std::size_t threads, oauth2::TokenSource* tokens, core::Logger* logger)
    : pool_(std::make_unique<asio::thread_pool>(std::clamp<std::size_t>(threads, 1, kMaxThreads))),
      tokens_(tokens),
      logger_(logger) {}

GraphDelivery::~GraphDelivery() {
  join();
}

void GraphDelivery::join() {
  pool_->join();
}

// The token (asynchronous, renewed once after a 401) and the request on the pool.
asio::awaitable<GraphVerdict> GraphDelivery::deliver(const GraphRoute* route,
                                                     queue::ContentReader* content,
                                                     const std::vector<std::string>* recipients,
                                                     std::string queue_id) {
  if (route->fault)
    co_return verdict(GraphOutcome::Configuration, "configuration: " + route->fault->describe());
  asio::thread_pool* pool = pool_.get();
  std::string message;
  std::string* message_pointer = &message;
  auto read = co_await on_pool(
      *pool, [content, message_pointer] { return read_content(*content, *message_pointer); });
  if (!read) {
    co_return verdict(GraphOutcome::Temporary,
                      "reading the spooled content: " + read.error().describe());
  }
  bool token_fault = false;
  oauth2::AsyncTokenGetter getter = relay_token_getter(route->token_account, tokens_, &token_fault);
  std::chrono::steady_clock::duration token_wait{};
  oauth2::AsyncTokenGetter token = [getter = std::move(getter), waited = &token_wait](
                                       bool renew) -> asio::awaitable<core::Result<core::Secret>> {
    const auto began = std::chrono::steady_clock::now();
    auto got = co_await getter(renew);
    *waited += std::chrono::steady_clock::now() - began;
    co_return got;
  };
  int requests = 0;
  int* requests_pointer = &requests;
  core::Logger* logger = logger_;
  std::function<asio::awaitable<core::Result<graph::SendResult>>(core::Secret)> attempt =
      [pool, route, message_pointer, recipients, logger,
       requests_pointer](core::Secret secret) -> asio::awaitable<core::Result<graph::SendResult>> {
    // Only the first request may ask for a renewal; the second's 401 is final.
    const bool may_renew = ++*requests_pointer == 1;
    core::Secret* secret_pointer = &secret;
    auto sent = co_await on_pool(
        *pool, [route, secret_pointer, message_pointer, recipients, logger, may_renew] {
          return send_now(*route, std::move(*secret_pointer), *message_pointer, *recipients, logger,
                          may_renew);
        });
    co_return sent;
  };
  oauth2::TokenRefused refused = [](const core::Error& error) {
    return error.code() == kRenewCode;
  };
  bool renewed = false;
  core::Result<graph::SendResult> sent = co_await oauth2::renew_once_async<graph::SendResult>(
      std::move(token), std::move(attempt), std::move(refused), &renewed);
  if (renewed) {
    logger_->info("Graph refused the token; renewed once",
                  {{"queue_id", queue_id},
                   {"route", route->config->name},
                   {"account", route->token_account->name},
                   {"renewed_token_accepted", static_cast<bool>(sent)}});
  }
  GraphVerdict judged = judge_graph_result(sent, token_fault);
  judged.token_wait = token_wait;
  if (judged.outcome == GraphOutcome::Sent) {
    // The next message of this account should not wait for a renewal.
    tokens_->prefetch(route->token_account, std::chrono::minutes(10));
  } else if (judged.outcome == GraphOutcome::MaybeSent) {
    logger_->warn(
        "Graph may have sent the message: it stays queued and is sent again (a possible duplicate "
        "rather than a loss)",
        {{"queue_id", queue_id}, {"route", route->config->name}, {"mailbox", route->mailbox}});
  }
  co_return judged;
}

}  // namespace mailoauth::relay
