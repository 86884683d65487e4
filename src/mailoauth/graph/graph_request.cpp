// The retry loop of graph_request.hpp. Graph's behaviour it relies on, from
// Microsoft's pages (docs/sending.md lists them):
//   throttling   https://learn.microsoft.com/graph/throttling and
//                https://learn.microsoft.com/graph/throttling-limits
//                (Outlook: 4 concurrent requests, 10,000 per 10 minutes,
//                150 MB of uploads per 5 minutes, per app and mailbox)
//   SDK retries  microsoftgraph/msgraph-sdk-design, middleware/RetryHandler.md
//                (Retry-After honoured; without it exponential backoff from
//                3 s, at most 180 s)
#include "mailoauth/graph/graph_request.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace mailoauth::graph {

namespace {

using core::ErrorClass;
using std::chrono::seconds;

// What to do after one attempt.
enum class Next { Done, Renew, Repeat, MaybeDone, Refused };

// 429 (throttled requests are refused) and 503 with a Retry-After (the front
// end turned it away) cannot have taken effect; 500, 502, 504 and a bare 503
// may come after Exchange acted on the request.
Next next_for(const GraphStep& step, long status, bool has_retry_after) {
  if (std::ranges::find(step.expected, status) != step.expected.end()) return Next::Done;
  if (status == 401) return Next::Renew;
  if (status == 429 || (status == 503 && has_retry_after)) return Next::Repeat;
  if (status == 500 || status == 502 || status == 503 || status == 504) {
    return step.sends_mail ? Next::MaybeDone : Next::Repeat;
  }
  return Next::Refused;
}

// Exponential backoff when Graph gave no Retry-After, as the Graph SDKs'
// retry handler does: 3 s, 6 s, 12 s, ... at most 180 s.
seconds backoff(int attempt) {
  return std::min(seconds(3 * (1 << std::clamp(attempt - 1, 0, 6))), seconds(180));
}

// `mailbox` empty: `what` is an explained answer that names it and the ids.
core::Error maybe_sent(const GraphStep& step, std::string_view mailbox, std::string_view what,
                       std::string_view client_request_id) {
  const std::string prefix =
      mailbox.empty() ? "" : fmt::format("Graph {} for {}: ", step.operation, mailbox);
  const std::string ids =
      client_request_id.empty() ? "" : fmt::format(" [client-request-id {}]", client_request_id);
  return core::Error(
      ErrorClass::Temporary, "graph.maybe_sent",
      fmt::format("{}{}{}; the message may have been sent, so it was not sent again ({} is "
                  "not idempotent)",
                  prefix, what, ids, step.operation),
      "look for it in the mailbox's Sent Items (or a message trace) before sending it again");
}

void log_answer(const GraphSettings& settings, const GraphStep& step, std::string_view mailbox,
                int attempt, const oauth2::HttpResponse& response, std::string_view code) {
  if (settings.logger == nullptr) return;
  const bool expected = std::ranges::find(step.expected, response.status) != step.expected.end();
  const std::string status = std::to_string(response.status);
  const std::string attempt_text = std::to_string(attempt);
  const std::string retry_after =
      response.retry_after ? std::to_string(response.retry_after->count()) : "";
  const auto request_id = response.header("request-id");
  const auto client_request_id = response.header("client-request-id");
  const std::string what =
      fmt::format("Graph {} {}", expected ? "accepted" : "refused", step.operation);
  settings.logger->log(expected ? core::LogLevel::Info : core::LogLevel::Warn, what,
                       {{"mailbox", mailbox},
                        {"status", status},
                        {"code", code},
                        {"attempt", attempt_text},
                        {"retry_after", retry_after},
                        {"request_id", request_id},
                        {"client_request_id", client_request_id}});
}

}  // namespace

std::chrono::milliseconds graph_deadline(const GraphSettings& settings,
                                         std::chrono::milliseconds client_timeout,
                                         std::size_t body_size) {
  const std::size_t rate = std::max<std::size_t>(settings.slowest_upload_bytes_per_second, 1);
  return client_timeout + std::chrono::milliseconds(body_size * 1000 / rate);
}

core::Result<oauth2::HttpResponse> perform_graph_step(
    oauth2::HttpClient& http, const GraphSettings& settings, std::string_view mailbox,
    oauth2::HttpRequest& request, const core::Secret* access_token, const GraphStep& step,
    std::string_view client_request_id, oauth2::Sleeper& sleeper, StepCounters& counters) {
  seconds waited{0};
  for (int attempt = 1;; ++attempt) {
    ++counters.attempts;
    counters.status = 0;
    if (access_token != nullptr) {
      request.authorization = core::Secret::take("Bearer " + std::string(access_token->reveal()));
    }
    auto response = http.perform(request);
    std::optional<core::Error> error;
    seconds wait = backoff(attempt);
    const std::string context = fmt::format("Graph {}", step.operation);
    if (!response) {
      if (http.last_request_sent() && step.sends_mail) {
        return core::fail(maybe_sent(step, mailbox, response.error().message(), client_request_id));
      }
      if (response.error().error_class() != ErrorClass::Temporary) {
        return core::fail(std::move(response.error()).context(context));
      }
      error = std::move(response.error());  // it never reached Graph, or the step may repeat
      error->context(context);
    } else {
      counters.status = response->status;
      const std::string request_id = response->header("request-id");
      const Next next = next_for(step, response->status, response->retry_after.has_value());
      if (next == Next::Done) {
        log_answer(settings, step, mailbox, counters.attempts, *response, "");
        return response;
      }
      error = explain_graph_error(response->status, response->body, mailbox, request_id,
                                  client_request_id, step.operation);
      log_answer(settings, step, mailbox, counters.attempts, *response, error->code());
      if (next == Next::MaybeDone) return core::fail(maybe_sent(step, {}, error->message(), {}));
      if (next != Next::Repeat) return core::fail(std::move(*error));  // 401 included
      if (response->retry_after) wait = *response->retry_after;
    }
    error->with_retry_after(wait);  // when a caller that gives up here may try again
    if (attempt >= settings.max_attempts) {
      return core::fail(std::move(*error).context(fmt::format("after {} attempts", attempt)));
    }
    if (waited + wait > settings.max_total_wait) {
      return core::fail(std::move(*error).context(
          fmt::format("the next try is due in {} s, more than the {} s left of this send's wait",
                      wait.count(), (settings.max_total_wait - waited).count())));
    }
    sleeper.sleep(wait);
    waited += wait;
  }
}

}  // namespace mailoauth::graph
