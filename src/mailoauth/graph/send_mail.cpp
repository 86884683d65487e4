// The request and the retry loop; the error table is error_catalogue.cpp. Graph's behaviour comes
// from Microsoft's pages, cited where used (docs/sending.md lists them):
//   user-sendmail   https://learn.microsoft.com/graph/api/user-sendmail
//   errors          https://learn.microsoft.com/graph/errors
//   throttling      https://learn.microsoft.com/graph/throttling and
//                   https://learn.microsoft.com/graph/throttling-limits
//                   (Outlook: 4 concurrent requests, 10,000 per 10 minutes
//                   per app and mailbox)
//   send as others  https://learn.microsoft.com/graph/outlook-send-mail-from-other-user
//   SDK retries     microsoftgraph/msgraph-sdk-design, middleware/RetryHandler.md
//                   (Retry-After honoured; without it exponential backoff
//                   from 3 s, at most 180 s)
// The remedies are ours.
#include "mailoauth/graph/send_mail.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"
#include "mailoauth/graph/error_catalogue.hpp"
#include "mailoauth/mime/header_block.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/form.hpp"
#include "mailoauth/oauth2/jwt_signing.hpp"
#include "mailoauth/oauth2/renew_once.hpp"

namespace mailoauth::graph {

namespace {

using core::ErrorClass;
using std::chrono::seconds;

struct GraphErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
};

GraphErrorBody parse_error_body(std::string_view body) {
  GraphErrorBody parsed;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return parsed;
  const auto error = json.find("error");
  if (error == json.end() || !error->is_object()) return parsed;
  const auto text = [](const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string()
               ? core::escape_control_characters(found->get<std::string>())
               : std::string();
  };
  parsed.code = text(*error, "code");
  parsed.message = text(*error, "message");
  if (const auto inner = error->find("innerError"); inner != error->end() && inner->is_object()) {
    parsed.request_id = text(*inner, "request-id");
  }
  if (parsed.message.size() > 500) parsed.message.resize(500);
  return parsed;
}

std::string id_suffix(std::string_view request_id, std::string_view client_request_id) {
  std::string ids;
  if (!request_id.empty()) ids += fmt::format("request-id {}", request_id);
  if (!client_request_id.empty()) {
    ids += fmt::format("{}client-request-id {}", ids.empty() ? "" : ", ", client_request_id);
  }
  return ids.empty() ? ids : " [" + ids + "]";
}

// What to do after one attempt.
enum class Next { Sent, Renew, Repeat, MaybeSent, Refused };

// Graph's status codes that cannot have sent the message: 429 (throttled
// requests are refused) and 503 with a Retry-After (the front end turned it
// away). 500, 502, 504 and a bare 503 may come after Exchange took it.
Next next_for(long status, bool has_retry_after) {
  if (status == 202) return Next::Sent;
  if (status == 401) return Next::Renew;
  if (status == 429 || (status == 503 && has_retry_after)) return Next::Repeat;
  if (status == 500 || status == 502 || status == 503 || status == 504) return Next::MaybeSent;
  return Next::Refused;
}

// Exponential backoff when Graph gave no Retry-After, as the Graph SDKs'
// retry handler does: 3 s, 6 s, 12 s, ... at most 180 s.
seconds backoff(int attempt) {
  return std::min(seconds(3 * (1 << std::clamp(attempt - 1, 0, 6))), seconds(180));
}

// `mailbox` empty: `what` is an explained answer that names it and the ids.
core::Error maybe_sent(std::string_view mailbox, std::string_view what,
                       std::string_view client_request_id) {
  const std::string prefix = mailbox.empty() ? "" : fmt::format("Graph sendMail for {}: ", mailbox);
  return core::Error(
      ErrorClass::Temporary, "graph.maybe_sent",
      fmt::format("{}{}{}; the message may have been sent, so it was not sent again (sendMail is "
                  "not idempotent)",
                  prefix, what, id_suffix({}, client_request_id)),
      "look for it in the mailbox's Sent Items (or a message trace) before sending it again");
}

struct PreparedMessage {
  std::string data;
  std::vector<std::string> bcc_added;
  std::vector<std::string> header_only;
};

// The message as Graph must see it: the envelope's other recipients in Bcc,
// and at least one recipient (Graph's 400 ErrorInvalidRecipients otherwise).
core::Result<PreparedMessage> prepare_message(std::string_view mime_message,
                                              const std::vector<std::string>& envelope) {
  PreparedMessage prepared;
  if (envelope.empty()) {
    prepared.data = std::string(mime_message);
  } else {
    auto written = mime::write_envelope_bcc(mime_message, envelope);
    if (!written)
      return core::fail(std::move(written.error()).context("writing the Bcc for Graph"));
    prepared.data = std::move(written->message);
    prepared.bcc_added = std::move(written->bcc);
    prepared.header_only = std::move(written->header_only);
  }
  auto block = mime::parse_header_block(prepared.data);
  if (!block) return core::fail(block.error());
  for (const auto& field : block->fields) {
    if ((core::iequals(field.name, "To") || core::iequals(field.name, "Cc") ||
         core::iequals(field.name, "Bcc")) &&
        !mime::addresses_in(field.value).empty()) {
      return prepared;
    }
  }
  return core::fail(ErrorClass::Permanent, "graph.no_recipients",
                    "the message names no recipient in To, Cc or Bcc, and Microsoft Graph "
                    "delivers only to those",
                    "give the message envelope recipients (they are written into Bcc for Graph)");
}

core::Result<void> check_request(std::string_view mailbox, std::size_t message_size,
                                 const GraphSettings& settings) {
  if (mailbox.empty() ||
      mailbox.find_first_of(std::string_view("/\r\n\0 ", 5)) != std::string_view::npos) {
    return core::fail(
        ErrorClass::Config, "graph.bad_mailbox",
        fmt::format("\"{}\" is not a mailbox for Graph", core::escape_control_characters(mailbox)),
        "give the user principal name (user@contoso.com) or the object id");
  }
  const std::size_t encoded_size = core::base64::encoded_size(message_size);
  if (encoded_size > settings.max_request_size) {
    return core::fail(
        ErrorClass::Permanent, "graph.too_large",
        fmt::format("the message is {} KB, {} KB in base64: more than the {} KB "
                    "Graph's sendMail takes in one request",
                    message_size / 1024, encoded_size / 1024, settings.max_request_size / 1024),
        "send it by SMTP (transport smtp); mailoauth does not yet use Graph's "
        "upload sessions for large messages");
  }
  return {};
}

// The POST, with a deadline that grows with the body: the client's total
// timeout plus the upload at the slowest rate expected.
oauth2::HttpRequest sendmail_request(const GraphSettings& settings, std::string_view mailbox,
                                     const std::string& message,
                                     const std::string& client_request_id,
                                     std::chrono::milliseconds client_timeout) {
  oauth2::HttpRequest request;
  request.method = "POST";
  request.url =
      fmt::format("{}/v1.0/users/{}/sendMail", settings.base_url, oauth2::form_escape(mailbox));
  request.content_type = "text/plain";
  request.headers = {"client-request-id: " + client_request_id};
  request.body = core::Secret::take(core::base64::encode(message));
  const std::size_t rate = std::max<std::size_t>(settings.slowest_upload_bytes_per_second, 1);
  request.total_timeout =
      client_timeout + std::chrono::milliseconds(request.body.size() * 1000 / rate);
  return request;
}

void log_answer(const GraphSettings& settings, std::string_view mailbox, int attempt,
                const oauth2::HttpResponse& response, std::string_view code) {
  if (settings.logger == nullptr) return;
  const std::string status = std::to_string(response.status);
  const std::string attempt_text = std::to_string(attempt);
  const std::string retry_after =
      response.retry_after ? std::to_string(response.retry_after->count()) : "";
  const auto request_id = response.header("request-id");
  const auto client_request_id = response.header("client-request-id");
  settings.logger->log(
      response.status == 202 ? core::LogLevel::Info : core::LogLevel::Warn,
      response.status == 202 ? "Graph accepted sendMail" : "Graph refused sendMail",
      {{"mailbox", mailbox},
       {"status", status},
       {"code", code},
       {"attempt", attempt_text},
       {"retry_after", retry_after},
       {"request_id", request_id},
       {"client_request_id", client_request_id}});
}

}  // namespace

core::Error explain_graph_error(long status, std::string_view body, std::string_view mailbox,
                                std::string_view request_id, std::string_view client_request_id) {
  const GraphErrorBody error = parse_error_body(body);
  std::string message = fmt::format("Graph refused sendMail for {} (HTTP {}{}{}){}", mailbox,
                                    status, error.code.empty() ? "" : ", ", error.code,
                                    error.message.empty() ? "" : ": " + error.message);
  message +=
      id_suffix(request_id.empty() ? error.request_id : core::escape_control_characters(request_id),
                core::escape_control_characters(client_request_id));
  if (const GraphErrorEntry* known = find_graph_error(status, error.code, error.message)) {
    return core::Error(known->error_class, fmt::format("graph.{}", known->code),
                       fmt::format("{} — {}", message, known->meaning), std::string(known->remedy));
  }
  if (status == 429 || status >= 500) {
    return core::Error(ErrorClass::Temporary, "graph.unavailable", message,
                       "Graph is busy or throttling; try again later");
  }
  if (status == 413) {
    return core::Error(ErrorClass::Permanent, "graph.too_large", message,
                       "Graph's sendMail takes about 4 MB per request; send larger mail by SMTP");
  }
  if (status == 404) {
    return core::Error(ErrorClass::Permanent, "graph.no_mailbox", message,
                       "check the mailbox (user principal name or object id)");
  }
  if (status == 401 || status == 403) {
    return core::Error(ErrorClass::Permanent, "graph.denied", message,
                       "check the token's audience and permissions with `mailoauth token "
                       "inspect`; " +
                           std::string(kGraphAccessDeniedRemedy));
  }
  return core::Error(ErrorClass::Permanent, "graph.refused", message);
}

namespace {

// One token's tries: repeated only when the request provably did not reach
// Graph (no connection, 429, 503 with Retry-After), within the caller's total
// wait; a timeout after the body went out, 500/502/504 or a bare 503 is
// graph.maybe_sent. A 401 ends the tries with `status` 401, so that
// renew_once can try once more with a renewed token.
core::Result<void> post_with_retries(oauth2::HttpClient& http, const GraphSettings& settings,
                                     std::string_view mailbox, oauth2::HttpRequest& request,
                                     const core::Secret& access_token, oauth2::Sleeper& sleeper,
                                     SendResult& result, long& status) {
  seconds waited{0};
  for (int attempt = 1;; ++attempt) {
    ++result.attempts;
    request.authorization = core::Secret::take("Bearer " + std::string(access_token.reveal()));
    auto response = http.perform(request);
    std::optional<core::Error> error;
    seconds wait = backoff(attempt);
    if (!response) {
      if (http.last_request_sent()) {
        return core::fail(
            maybe_sent(mailbox, response.error().message(), result.client_request_id));
      }
      if (response.error().error_class() != ErrorClass::Temporary) {
        return core::fail(std::move(response.error()).context("Graph sendMail"));
      }
      error = std::move(response.error());  // it never reached Graph: repeat
    } else {
      status = response->status;
      const std::string request_id = response->header("request-id");
      const Next next = next_for(response->status, response->retry_after.has_value());
      if (next == Next::Sent) {
        log_answer(settings, mailbox, result.attempts, *response, "");
        result.request_id = request_id;
        return {};
      }
      error = explain_graph_error(response->status, response->body, mailbox, request_id,
                                  result.client_request_id);
      log_answer(settings, mailbox, result.attempts, *response, error->code());
      if (next == Next::MaybeSent) return core::fail(maybe_sent({}, error->message(), {}));
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

}  // namespace

core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   std::string_view mime_message,
                                   const std::vector<std::string>& envelope_recipients,
                                   oauth2::Sleeper& sleeper, const RefreshToken& refresh) {
  auto prepared = prepare_message(mime_message, envelope_recipients);
  if (!prepared) return core::fail(prepared.error());
  if (auto checked = check_request(mailbox, prepared->data.size(), settings); !checked) {
    return core::fail(checked.error());
  }
  SendResult result;
  result.client_request_id = oauth2::random_uuid();
  result.bcc_added = std::move(prepared->bcc_added);
  result.header_only_recipients = std::move(prepared->header_only);
  if (!result.header_only_recipients.empty() && settings.logger != nullptr) {
    const std::string names = fmt::format("{}", fmt::join(result.header_only_recipients, ", "));
    settings.logger->warn("Graph also delivers to To/Cc addresses that are not in the envelope",
                          {{"mailbox", mailbox}, {"addresses", names}});
  }
  oauth2::HttpRequest request = sendmail_request(
      settings, mailbox, prepared->data, result.client_request_id, http.settings().total_timeout);
  long status = 0;
  const oauth2::TokenGetter token = [&](bool renew) -> core::Result<core::Secret> {
    if (!renew) return std::move(access_token);
    auto fresh = refresh();
    if (!fresh) return core::fail(std::move(fresh.error()).context("renewing the token for Graph"));
    return fresh;
  };
  const std::function<core::Result<void>(core::Secret)> attempt = [&](core::Secret bearer) {
    status = 0;
    return post_with_retries(http, settings, mailbox, request, bearer, sleeper, result, status);
  };
  auto sent = oauth2::renew_once<void>(
      token, attempt, [&](const core::Error&) { return status == 401 && bool(refresh); },
      &result.token_refreshed);
  if (!sent) return core::fail(std::move(sent.error()));
  return result;
}

core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   const mime::Message& message, oauth2::Sleeper& sleeper,
                                   const RefreshToken& refresh) {
  auto sent = send_mime(http, settings, mailbox, std::move(access_token), message.data,
                        message.recipients, sleeper, refresh);
  return sent;
}

}  // namespace mailoauth::graph
