// The request; the error table is error_catalogue.cpp, the retry loop
// graph_request.cpp's, the path for messages too large for one request
// large_message.cpp's. Graph's behaviour comes from Microsoft's pages, cited
// where used (docs/sending.md lists them):
//   user-sendmail   https://learn.microsoft.com/graph/api/user-sendmail
//   errors          https://learn.microsoft.com/graph/errors
//   send as others  https://learn.microsoft.com/graph/outlook-send-mail-from-other-user
// The remedies are ours.
#include "mailoauth/graph/send_mail.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"
#include "mailoauth/graph/error_catalogue.hpp"
#include "mailoauth/graph/graph_request.hpp"
#include "mailoauth/graph/large_message.hpp"
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

core::Result<void> check_mailbox(std::string_view mailbox) {
  if (mailbox.empty() ||
      mailbox.find_first_of(std::string_view("/\r\n\0 ", 5)) != std::string_view::npos) {
    return core::fail(
        ErrorClass::Config, "graph.bad_mailbox",
        fmt::format("\"{}\" is not a mailbox for Graph", core::escape_control_characters(mailbox)),
        "give the user principal name (user@contoso.com) or the object id");
  }
  return {};
}

constexpr std::string_view kSendMail = "sendMail";

// The POST, with a deadline that grows with the body.
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
  request.total_timeout = graph_deadline(settings, client_timeout, request.body.size());
  return request;
}

}  // namespace

core::Result<GraphMessage> prepare_for_graph(std::string_view mime_message,
                                             const std::vector<std::string>& envelope) {
  GraphMessage prepared;
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

core::Error explain_graph_error(long status, std::string_view body, std::string_view mailbox,
                                std::string_view request_id, std::string_view client_request_id,
                                std::string_view operation) {
  const GraphErrorBody error = parse_error_body(body);
  std::string message = fmt::format("Graph refused {} for {} (HTTP {}{}{}){}", operation, mailbox,
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

void warn_header_only(const GraphSettings& settings, std::string_view mailbox,
                      const SendResult& result) {
  if (result.header_only_recipients.empty() || settings.logger == nullptr) return;
  const std::string names = fmt::format("{}", fmt::join(result.header_only_recipients, ", "));
  settings.logger->warn("Graph also delivers to To/Cc addresses that are not in the envelope",
                        {{"mailbox", mailbox}, {"addresses", names}});
}

core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   std::string_view mime_message,
                                   const std::vector<std::string>& envelope_recipients,
                                   oauth2::Sleeper& sleeper, const RefreshToken& refresh) {
  if (auto checked = check_mailbox(mailbox); !checked) return core::fail(checked.error());
  SendResult result;
  result.client_request_id = oauth2::random_uuid();
  // Too large for one request: the draft + upload session path, which
  // writes the Bcc into the draft only (the message is not copied whole).
  bool large = core::base64::encoded_size(mime_message.size()) > settings.max_request_size;
  std::optional<GraphMessage> prepared;
  if (!large) {
    auto ready = prepare_for_graph(mime_message, envelope_recipients);
    if (!ready) return core::fail(ready.error());
    large = core::base64::encoded_size(ready->data.size()) > settings.max_request_size;
    if (!large) prepared = std::move(*ready);
  }
  oauth2::HttpRequest request;
  if (prepared) {
    result.bcc_added = std::move(prepared->bcc_added);
    result.header_only_recipients = std::move(prepared->header_only);
    warn_header_only(settings, mailbox, result);
    request = sendmail_request(settings, mailbox, prepared->data, result.client_request_id,
                               http.settings().total_timeout);
    prepared.reset();
  }
  long status = 0;
  const oauth2::TokenGetter token = [&](bool renew) -> core::Result<core::Secret> {
    if (!renew) return std::move(access_token);
    auto fresh = refresh();
    if (!fresh) return core::fail(std::move(fresh.error()).context("renewing the token for Graph"));
    return fresh;
  };
  const GraphStep step{kSendMail, {202}, true};
  const std::function<core::Result<void>(core::Secret)> attempt =
      [&](core::Secret bearer) -> core::Result<void> {
    status = 0;
    if (large) {
      auto sent = send_large_mime(http, settings, mailbox, bearer, mime_message,
                                  envelope_recipients, sleeper, result, status);
      if (sent) warn_header_only(settings, mailbox, result);
      return sent;
    }
    StepCounters counters;
    auto answer = perform_graph_step(http, settings, mailbox, request, &bearer, step,
                                     result.client_request_id, sleeper, counters);
    result.attempts += counters.attempts;
    status = counters.status;
    if (!answer) return core::fail(std::move(answer.error()));
    result.request_id = answer->header("request-id");
    return {};
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
