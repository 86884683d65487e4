// The request, the retry loop and the error table. Graph's codes and their
// meaning come from Microsoft's Graph and Exchange documentation (FACTS.md
// section 2); the remedies are ours.
#include "mailoauth/graph/send_mail.hpp"

#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/form.hpp"
#include "mailoauth/oauth2/renew_once.hpp"

namespace mailoauth::graph {

namespace {

using core::ErrorClass;

struct KnownError {
  std::string_view code;
  std::string_view fragment;  // in the message; empty: any
  ErrorClass error_class;
  std::string_view meaning;
  std::string_view remedy;
};

constexpr std::array<KnownError, 12> kErrors{{
    {"ErrorAccessDenied", "RAOP", ErrorClass::Permanent,
     "an application access policy of the tenant does not let this app use this mailbox",
     "add the mailbox to the app's access policy (New-ApplicationAccessPolicy / "
     "Test-ApplicationAccessPolicy), or use RBAC for Applications"},
    {"ErrorAccessDenied", "", ErrorClass::Permanent,
     "the token does not allow sending as this mailbox",
     "app-only: grant the Mail.Send application permission with admin consent; delegated: "
     "the signed-in user must be the mailbox or have Send As on it"},
    {"MailboxNotEnabledForRESTAPI", "", ErrorClass::Permanent,
     "the mailbox cannot be used through Graph (on-premises, inactive, or not licensed)",
     "use a licensed Exchange Online mailbox, or send by SMTP"},
    {"ErrorSendAsDenied", "", ErrorClass::Permanent,
     "the From address differs from the mailbox and Send As is not granted",
     "grant Send As (Add-RecipientPermission) or send with From set to the mailbox"},
    {"ErrorMimeContentInvalidBase64String", "", ErrorClass::Bug,
     "Graph could not decode the message's base64", "report this: mailoauth sent bad base64"},
    {"ErrorMimeContentInvalid", "", ErrorClass::Permanent, "Graph could not parse the message",
     "check the message's headers (From, To, Date) and MIME structure"},
    {"ErrorInvalidRecipients", "", ErrorClass::Permanent, "a recipient address was refused",
     "check the To, Cc and Bcc addresses"},
    {"ErrorMessageSizeExceeded", "", ErrorClass::Permanent,
     "the message is larger than the mailbox or tenant allows",
     "send a smaller message or share large files by link"},
    {"ErrorQuotaExceeded", "", ErrorClass::Permanent,
     "the mailbox is full (Graph saves sent mail in Sent Items)", "free space in the mailbox"},
    {"InvalidAuthenticationToken", "", ErrorClass::Permanent,
     "Graph refused the access token (expired, wrong audience or malformed)",
     "the token must be for https://graph.microsoft.com (app-only scope "
     "https://graph.microsoft.com/.default, delegated Mail.Send); check with `mailoauth token "
     "inspect`; with transport = \"auto\", name a Graph account in graph_account (Microsoft "
     "gives one token per resource)"},
    {"ErrorItemNotFound", "", ErrorClass::Permanent, "no mailbox with this id or address",
     "check the mailbox (user principal name or object id)"},
    {"ApplicationThrottled", "", ErrorClass::Temporary, "Graph is throttling this app",
     "wait: at most 4 concurrent requests and 10,000 per 10 minutes per app and mailbox"},
}};

struct GraphErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
  std::string date;
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
    parsed.date = text(*inner, "date");
  }
  if (parsed.message.size() > 500) parsed.message.resize(500);
  return parsed;
}

}  // namespace

core::Error explain_graph_error(long status, std::string_view body, std::string_view mailbox) {
  const GraphErrorBody error = parse_error_body(body);
  std::string message = fmt::format("Graph refused sendMail for {} (HTTP {}{}{}){}", mailbox,
                                    status, error.code.empty() ? "" : ", ", error.code,
                                    error.message.empty() ? "" : ": " + error.message);
  if (!error.request_id.empty()) message += fmt::format(" [request-id {}]", error.request_id);
  for (const auto& known : kErrors) {
    if (known.code != error.code) continue;
    if (!known.fragment.empty() && error.message.find(known.fragment) == std::string::npos) {
      continue;
    }
    return core::Error(known.error_class, fmt::format("graph.{}", known.code),
                       fmt::format("{} — {}", message, known.meaning), std::string(known.remedy));
  }
  if (status == 429 || status == 503 || status == 504 || status >= 500) {
    return core::Error(ErrorClass::Temporary, "graph.unavailable", message,
                       "Graph is busy or throttling; try again later");
  }
  if (status == 413) {
    return core::Error(ErrorClass::Permanent, "graph.too_large", message,
                       "Graph's sendMail takes about 4 MB per request; send larger mail by SMTP");
  }
  if (status == 401 || status == 403) {
    return core::Error(ErrorClass::Permanent, "graph.denied", message,
                       "check the token's audience and permissions with `mailoauth token inspect`");
  }
  return core::Error(ErrorClass::Permanent, "graph.refused", message);
}

namespace {

// One token's tries: 429/503/504 retried after Retry-After, bounded; any
// other refusal comes back at once. `status` is the last HTTP status seen.
core::Result<SendResult> post_with_retries(oauth2::HttpClient& http, const GraphSettings& settings,
                                           oauth2::HttpRequest& request, std::string_view mailbox,
                                           const core::Secret& access_token,
                                           oauth2::Sleeper& sleeper, SendResult& result,
                                           long& status) {
  std::optional<core::Error> last;
  for (int attempt = 1; attempt <= settings.max_attempts; ++attempt) {
    ++result.attempts;
    request.authorization = core::Secret::take("Bearer " + std::string(access_token.reveal()));
    auto response = http.perform(request);
    if (!response) {
      if (response.error().error_class() != ErrorClass::Temporary) {
        return core::fail(std::move(response.error()).context("Graph sendMail"));
      }
      last = std::move(response.error());
      sleeper.sleep(std::chrono::seconds(attempt));
      continue;
    }
    if (response->status == 202) return result;
    status = response->status;
    core::Error error = explain_graph_error(response->status, response->body, mailbox);
    const bool retry =
        response->status == 429 || response->status == 503 || response->status == 504;
    if (!retry) return core::fail(std::move(error));
    const auto wait = std::min(response->retry_after.value_or(std::chrono::seconds(attempt * 2)),
                               settings.max_retry_after);
    if (response->retry_after) error.with_retry_after(*response->retry_after);
    last = std::move(error);
    if (attempt < settings.max_attempts) sleeper.sleep(wait);
  }
  return core::fail(
      std::move(*last).context(fmt::format("after {} attempts", settings.max_attempts)));
}

}  // namespace

core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   std::string_view mime_message, oauth2::Sleeper& sleeper,
                                   const RefreshToken& refresh) {
  if (mailbox.empty() ||
      mailbox.find_first_of(std::string_view("/\r\n\0 ", 5)) != std::string_view::npos) {
    return core::fail(
        ErrorClass::Config, "graph.bad_mailbox",
        fmt::format("\"{}\" is not a mailbox for Graph", core::escape_control_characters(mailbox)),
        "give the user principal name (user@contoso.com) or the object id");
  }
  const std::size_t encoded_size = core::base64::encoded_size(mime_message.size());
  if (encoded_size > settings.max_request_size) {
    return core::fail(ErrorClass::Permanent, "graph.too_large",
                      fmt::format("the message is {} KB, {} KB in base64: more than the {} KB "
                                  "Graph's sendMail takes in one request",
                                  mime_message.size() / 1024, encoded_size / 1024,
                                  settings.max_request_size / 1024),
                      "send it by SMTP (--transport smtp); mailoauth does not yet use Graph's "
                      "upload sessions for large messages");
  }
  oauth2::HttpRequest request;
  request.method = "POST";
  request.url =
      fmt::format("{}/v1.0/users/{}/sendMail", settings.base_url, oauth2::form_escape(mailbox));
  request.content_type = "text/plain";
  request.body = core::Secret::take(core::base64::encode(mime_message));
  SendResult result;
  long last_status = 0;
  // A 401 asks the caller for a renewed token once (oauth2::renew_once).
  const oauth2::TokenGetter token = [&](bool renew) -> core::Result<core::Secret> {
    if (!renew) return std::move(access_token);
    return refresh();
  };
  return oauth2::renew_once<SendResult>(
      token,
      [&](core::Secret bearer) {
        return post_with_retries(http, settings, request, mailbox, bearer, sleeper, result,
                                 last_status);
      },
      [&](const core::Error&) { return last_status == 401 && refresh; }, &result.token_refreshed);
}

}  // namespace mailoauth::graph
