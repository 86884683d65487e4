// Parsing and building the bearer-token failure challenges with nlohmann::json,
// without exceptions escaping: malformed or hostile JSON becomes an Error.
#include "mailoauth/sasl/bearer_failure.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace mailoauth::sasl {

namespace {

constexpr std::size_t kMaxChallengeSize = 64 * 1024;

core::Result<std::string> string_member(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return std::string();
  if (found->is_string()) return found->get<std::string>();
  if (found->is_number_integer()) return std::to_string(found->get<long long>());
  return core::fail(core::ErrorClass::Permanent, "sasl.bad_failure_challenge",
                    fmt::format("the server's failure challenge has a non-string \"{}\"", key));
}

}  // namespace

core::Result<BearerFailure> parse_bearer_failure(std::string_view json) {
  if (json.size() > kMaxChallengeSize) {
    return core::fail(core::ErrorClass::Permanent, "sasl.bad_failure_challenge",
                      fmt::format("the server's failure challenge is {} bytes, more than {}",
                                  json.size(), kMaxChallengeSize));
  }
  // Google appends a newline; JSON parsers accept trailing white space.
  const nlohmann::json object = nlohmann::json::parse(json, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return core::fail(core::ErrorClass::Permanent, "sasl.bad_failure_challenge",
                      "the server's failure challenge is not a JSON object");
  }
  BearerFailure failure;
  auto status = string_member(object, "status");
  if (!status) return core::fail(status.error());
  auto schemes = string_member(object, "schemes");
  if (!schemes) return core::fail(schemes.error());
  auto scope = string_member(object, "scope");
  if (!scope) return core::fail(scope.error());
  auto configuration = string_member(object, "openid-configuration");
  if (!configuration) return core::fail(configuration.error());
  failure.status = std::move(*status);
  failure.schemes = std::move(*schemes);
  failure.scope = std::move(*scope);
  failure.openid_configuration = std::move(*configuration);
  return failure;
}

std::string xoauth2_failure_challenge(const BearerFailure& failure) {
  nlohmann::ordered_json object;
  object["status"] = failure.status;
  object["schemes"] = failure.schemes;
  object["scope"] = failure.scope;
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string oauthbearer_failure_challenge(const BearerFailure& failure) {
  nlohmann::ordered_json object;
  object["status"] = failure.status;
  if (!failure.scope.empty()) object["scope"] = failure.scope;
  if (!failure.openid_configuration.empty()) {
    object["openid-configuration"] = failure.openid_configuration;
  }
  return object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string describe(const BearerFailure& failure) {
  std::string text = "status " + (failure.status.empty() ? std::string("?") : failure.status);
  if (!failure.scope.empty()) text += ", scope " + failure.scope;
  if (!failure.schemes.empty()) text += ", schemes " + failure.schemes;
  if (!failure.openid_configuration.empty()) {
    text += ", openid-configuration " + failure.openid_configuration;
  }
  return text;
}

}  // namespace mailoauth::sasl
