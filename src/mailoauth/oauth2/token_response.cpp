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

// A short, single-line, control-free excerpt of a body for messages.
std::string excerpt(std::string_view body) {
  constexpr std::size_t kLimit = 200;
  std::string text = core::escape_control_characters(body.substr(0, kLimit));
  if (body.size() > kLimit) text += "...";
  return text;
}

core::Error refusal(const TokenEndpointError& details, long http_status) {
  const CatalogueEntry* oauth_entry = find_oauth_error(details.error);
  const CatalogueEntry* aadsts_entry = nullptr;
  for (std::int64_t code : details.error_codes) {
    if ((aadsts_entry = find_aadsts(code)) != nullptr) break;
  }
  const CatalogueEntry* entry = aadsts_entry != nullptr ? aadsts_entry : oauth_entry;

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
                    excerpt(body));
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
    return core::fail(core::ErrorClass::Temporary, "oauth2.bad_response",
                      fmt::format("the token endpoint's answer is not a JSON object: {}",
                                  body.empty() ? std::string("(empty)") : excerpt(body)),
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
  if (!response.token_type.empty() && !core::iequals(response.token_type, "bearer")) {
    return core::fail(core::ErrorClass::Permanent, "oauth2.not_bearer",
                      fmt::format("the token endpoint issued a \"{}\" token; mail servers accept "
                                  "Bearer tokens only",
                                  core::escape_control_characters(response.token_type)));
  }
  return response;
}

}  // namespace mailoauth::oauth2
