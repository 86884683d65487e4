// Token endpoint responses with nlohmann::json, no exceptions escaping. The
// secrets go straight from the parsed JSON into Secrets; the parsed document is
// destroyed at the end of the function (nlohmann does not wipe its strings,
// which is why nothing here keeps it).
#include "mailoauth/oauth2/token_response.hpp"

#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/error_catalogue.hpp"

namespace mailoauth::oauth2 {

namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found != object.end() && found->is_string()) return found->get<std::string>();
  return {};
}

// What a body that is not the expected JSON was, without quoting it: a token
// endpoint's body may hold a credential (a token in a malformed document), so
// only its size is told, and an HTML page's <title> (a proxy's or a login
// page's error page), which cannot carry one.
std::string describe_body(std::string_view body) {
  if (body.empty()) return "an empty body";
  constexpr std::size_t kTitleLimit = 80;
  std::string lower(body.substr(0, 64 * 1024));
  for (char& c : lower) c = core::ascii_lower(c);
  if (const auto open = lower.find("<title"); open != std::string::npos) {
    const auto start = lower.find('>', open);
    const auto end = lower.find("</title", open);
    if (start != std::string::npos && end != std::string::npos && start < end) {
      std::string title;
      for (char c : body.substr(start + 1, end - start - 1)) {
        const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
        if (space && (title.empty() || title.back() == ' ')) continue;
        title.push_back(space ? ' ' : c);
      }
      while (!title.empty() && title.back() == ' ') title.pop_back();
      if (title.size() > kTitleLimit) title = title.substr(0, kTitleLimit) + "...";
      return fmt::format("an HTML page of {} bytes titled \"{}\"", body.size(),
                         core::escape_control_characters(title));
    }
  }
  const std::size_t first = body.find_first_not_of(" \t\r\n");
  const bool json_like =
      first != std::string_view::npos && (body[first] == '{' || body[first] == '[');
  return fmt::format("{} bytes of {} (not quoted: it may hold a credential)", body.size(),
                     json_like ? "malformed JSON" : "text that is not JSON");
}

// RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"=". A token outside it (CR, LF, spaces, quotes) would break
// the SASL and HTTP lines it is put into, or inject into them.
bool is_b64token(std::string_view token) {
  std::size_t i = 0;
  while (i < token.size()) {
    const char c = token[i];
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' ||
                         c == '+' || c == '/';
    if (!allowed) break;
    ++i;
  }
  if (i == 0) return false;
  while (i < token.size() && token[i] == '=') ++i;
  return i == token.size();
}

core::Error refusal(const TokenEndpointError& details, long http_status) {
  const CatalogueEntry* entry = find_token_error(details.error, details.error_codes);

  std::string message = fmt::format("the token endpoint refused the request (HTTP {}): {}",
                                    http_status, details.error);
  if (!details.error_codes.empty()) {
    message += fmt::format(" (AADSTS{})", details.error_codes.front());
  }
  if (entry != nullptr) message += fmt::format(": {}", entry->meaning);
  if (!details.description.empty()) {
    message += fmt::format("; the server says \"{}\"", details.description);
  }
  if (!details.trace_id.empty() || !details.correlation_id.empty()) {
    message += fmt::format(" [trace id {}, correlation id {}]",
                           details.trace_id.empty() ? "-" : details.trace_id,
                           details.correlation_id.empty() ? "-" : details.correlation_id);
  }
  // An unknown error code from a 4xx is a refusal; from a 5xx, a failure to retry.
  const core::ErrorClass error_class =
      entry != nullptr
          ? entry->error_class
          : (http_status >= 500 ? core::ErrorClass::Temporary : core::ErrorClass::Permanent);
  return core::Error(
      error_class, fmt::format("oauth2.{}", details.error.empty() ? "unknown" : details.error),
      std::move(message), entry != nullptr ? std::string(entry->remedy) : std::string());
}

}  // namespace

std::optional<TokenEndpointError> parse_token_endpoint_error(std::string_view body) {
  const nlohmann::json object = nlohmann::json::parse(body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) return std::nullopt;
  TokenEndpointError details;
  details.error = core::escape_control_characters(string_field(object, "error"));
  if (details.error.empty()) return std::nullopt;
  std::string description = string_field(object, "error_description");
  if (const auto line_end = description.find_first_of("\r\n"); line_end != std::string::npos) {
    description.resize(line_end);
  }
  details.description = core::escape_control_characters(description);
  if (const auto codes = object.find("error_codes"); codes != object.end() && codes->is_array()) {
    for (const auto& code : *codes) {
      if (code.is_number_integer()) details.error_codes.push_back(code.get<std::int64_t>());
    }
  }
  details.trace_id = core::escape_control_characters(string_field(object, "trace_id"));
  details.correlation_id = core::escape_control_characters(string_field(object, "correlation_id"));
  details.error_uri = core::escape_control_characters(string_field(object, "error_uri"));
  return details;
}

core::Result<TokenResponse> parse_token_response(long http_status, std::string_view body,
                                                 std::optional<std::chrono::seconds> retry_after) {
  if (http_status != 200) {
    if (auto details = parse_token_endpoint_error(body)) {
      core::Error error = refusal(*details, http_status);
      if (http_status == 429 || http_status >= 500) {
        error =
            core::Error(core::ErrorClass::Temporary, error.code(), error.message(), error.remedy());
      }
      if (retry_after) error.with_retry_after(*retry_after);
      return core::fail(std::move(error));
    }
    std::string message =
        fmt::format("the token endpoint answered HTTP {} without an OAuth error: {}", http_status,
                    describe_body(body));
    if (retry_after) message += fmt::format(" (retry after {} s)", retry_after->count());
    // 4xx without an OAuth body is usually a wrong URL (404) or a proxy in the way.
    if (http_status >= 400 && http_status < 500 && http_status != 408 && http_status != 429) {
      return core::fail(core::ErrorClass::Config, "oauth2.http_status", std::move(message),
                        "check the token URL (and any proxy between here and the server)");
    }
    core::Error error(core::ErrorClass::Temporary, "oauth2.http_status", std::move(message));
    if (retry_after) error.with_retry_after(*retry_after);
    return core::fail(std::move(error));
  }

  nlohmann::json object = nlohmann::json::parse(body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return core::fail(
        core::ErrorClass::Temporary, "oauth2.bad_response",
        fmt::format("the token endpoint's answer is not a JSON object: {}", describe_body(body)),
        "check the token URL; a captive portal or proxy may be answering instead");
  }
  TokenResponse response;
  const auto take_secret = [&object](const char* key) {
    const auto found = object.find(key);
    if (found == object.end() || !found->is_string()) return core::Secret();
    return core::Secret(found->get_ref<const std::string&>());
  };
  response.access_token = take_secret("access_token");
  response.refresh_token = take_secret("refresh_token");
  response.id_token = take_secret("id_token");
  response.token_type = string_field(object, "token_type");
  response.scope = string_field(object, "scope");
  if (const auto expires = object.find("expires_in"); expires != object.end()) {
    // Some servers (older Entra endpoints) send it as a string.
    if (expires->is_number_integer() && expires->get<std::int64_t>() >= 0) {
      response.expires_in = std::chrono::seconds(expires->get<std::int64_t>());
    } else if (expires->is_string()) {
      const std::string text = expires->get<std::string>();
      if (!text.empty() && text.size() < 12 &&
          text.find_first_not_of("0123456789") == std::string::npos) {
        response.expires_in = std::chrono::seconds(std::stoll(text));
      }
    }
  }
  // Wipe what the JSON document still holds of the secrets before it is freed.
  for (const char* key : {"access_token", "refresh_token", "id_token"}) {
    if (auto found = object.find(key); found != object.end() && found->is_string()) {
      auto& text = found->get_ref<std::string&>();
      core::secure_wipe(text.data(), text.size());
    }
  }
  if (response.access_token.empty()) {
    return core::fail(core::ErrorClass::Permanent, "oauth2.no_access_token",
                      "the token endpoint answered 200 but sent no access_token");
  }
  if (!is_b64token(response.access_token.reveal())) {
    return core::fail(core::ErrorClass::Permanent, "oauth2.bad_token_characters",
                      fmt::format("the identity server issued an access token of {} bytes with "
                                  "characters a bearer token may not contain (RFC 6750: letters, "
                                  "digits, - . _ ~ + / and trailing =); it is not used or shown",
                                  response.access_token.size()),
                      "report it to the identity server's administrator; a proxy rewriting the "
                      "answer can cause it too");
  }
  if (!response.token_type.empty() && !core::iequals(response.token_type, "bearer")) {
    return core::fail(core::ErrorClass::Permanent, "oauth2.not_bearer",
                      fmt::format("the token endpoint issued a \"{}\" token; mail servers accept "
                                  "Bearer tokens only",
                                  core::escape_control_characters(response.token_type)));
  }
  return response;
}

}  // namespace mailoauth::oauth2
