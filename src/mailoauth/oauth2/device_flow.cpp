// RFC 8628 requests and the polling loop.
#include "mailoauth/oauth2/device_flow.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/log.hpp"

namespace mailoauth::oauth2 {

namespace {
constexpr std::string_view kDeviceGrant = "urn:ietf:params:oauth:grant-type:device_code";

std::optional<std::int64_t> seconds_field(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end()) return std::nullopt;
  if (found->is_number_integer()) return found->get<std::int64_t>();
  if (found->is_string()) {  // some servers send numbers as strings
    const auto text = found->get<std::string>();
    if (!text.empty() && text.size() < 10 &&
        text.find_first_not_of("0123456789") == std::string::npos) {
      return std::stoll(text);
    }
  }
  return std::nullopt;
}
}  // namespace

core::Result<DeviceAuthorization> parse_device_authorization(long http_status,
                                                             std::string_view body) {
  if (http_status != 200) {
    // The same error shapes as the token endpoint; reuse its explanations.
    auto refused = parse_token_response(http_status, body);
    if (!refused) return core::fail(std::move(refused.error()).context("device authorization"));
    return core::fail(core::ErrorClass::Permanent, "oauth2.device_authorization",
                      fmt::format("device authorization answered HTTP {}", http_status));
  }
  nlohmann::json object = nlohmann::json::parse(body, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return core::fail(core::ErrorClass::Temporary, "oauth2.bad_response",
                      "the device authorization answer is not a JSON object");
  }
  const auto text = [&object](const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string()
               ? core::escape_control_characters(found->get<std::string>())
               : std::string();
  };
  DeviceAuthorization authorization;
  if (const auto found = object.find("device_code"); found != object.end() && found->is_string()) {
    authorization.device_code = core::Secret(found->get_ref<const std::string&>());
  }
  authorization.user_code = text("user_code");
  authorization.verification_uri = text("verification_uri");
  if (authorization.verification_uri.empty()) {
    authorization.verification_uri = text("verification_url");  // Google's older spelling
  }
  authorization.verification_uri_complete = text("verification_uri_complete");
  authorization.message = text("message");
  if (auto expires = seconds_field(object, "expires_in"); expires && *expires > 0) {
    authorization.expires_in = std::chrono::seconds(*expires);
  }
  if (auto interval = seconds_field(object, "interval"); interval && *interval > 0) {
    authorization.interval = std::chrono::seconds(std::min<std::int64_t>(*interval, 60));
  }
  if (authorization.device_code.empty() || authorization.user_code.empty() ||
      authorization.verification_uri.empty()) {
    return core::fail(core::ErrorClass::Permanent, "oauth2.bad_device_authorization",
                      "the device authorization answer lacks device_code, user_code or "
                      "verification_uri");
  }
  return authorization;
}

core::Result<DeviceAuthorization> start_device_authorization(
    HttpClient& http, const std::string& device_url, const ClientIdentity& client,
    const std::vector<std::string>& scopes) {
  const std::string scope = join_scopes(scopes);
  std::vector<FormField> fields;
  if (!scope.empty()) fields.emplace_back("scope", scope);
  auto request = token_endpoint_request(device_url, fields, client);
  if (!request) return core::fail(std::move(request.error()));
  auto response = http.perform(*request);
  if (!response) return core::fail(std::move(response.error()));
  return parse_device_authorization(response->status, response->body);
}

core::Result<TokenResponse> poll_device_token(HttpClient& http, const std::string& token_url,
                                              const ClientIdentity& client,
                                              const DeviceAuthorization& authorization,
                                              const core::Clock& clock, Sleeper& sleeper) {
  const auto deadline = clock.monotonic() + authorization.expires_in;
  auto interval = authorization.interval;
  const std::vector<FormField> fields = {{"grant_type", kDeviceGrant},
                                         {"device_code", authorization.device_code.reveal()}};
  while (true) {
    auto request = token_endpoint_request(token_url, fields, client);
    if (!request) return core::fail(std::move(request.error()));
    auto response = http.perform(*request);
    if (response) {
      auto token = parse_token_response(response->status, response->body, response->retry_after);
      if (token) return token;
      const std::string& code = token.error().code();
      if (code == "oauth2.slow_down") {
        interval += std::chrono::seconds(5);  // RFC 8628 section 3.5
      } else if (code == "oauth2.access_denied") {
        return core::fail(core::ErrorClass::Permanent, "oauth2.access_denied",
                          "the sign-in was declined on the other device",
                          "run the device sign-in again and approve it");
      } else if (code != "oauth2.authorization_pending" &&
                 token.error().error_class() != core::ErrorClass::Temporary) {
        return token;  // expired_token, invalid_grant, invalid_client, ...
      }
    } else if (response.error().error_class() != core::ErrorClass::Temporary) {
      return core::fail(std::move(response.error()));
    }
    if (clock.monotonic() + interval > deadline) {
      return core::fail(core::ErrorClass::Permanent, "oauth2.expired_token",
                        fmt::format("the device code expired after {} s without a completed "
                                    "sign-in",
                                    authorization.expires_in.count()),
                        "run the device sign-in again and complete it within the time shown");
    }
    sleeper.sleep(interval);
  }
}

}  // namespace mailoauth::oauth2
