// Reading service-account key files and making JWT bearer requests. The key
// file is parsed with nlohmann::json, which does not wipe its strings; the
// document lives only inside parse_service_account_key, and the private key
// goes from it straight into a SigningKey.
#include "mailoauth/oauth2/jwt_bearer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/log.hpp"

namespace mailoauth::oauth2 {

namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found != object.end() && found->is_string()) return found->get<std::string>();
  return {};
}

constexpr std::string_view kKeyFileRemedy =
    "create a key for the service account (Google Cloud console: IAM & Admin > Service "
    "accounts > Keys > Add key > JSON) and give that file";

}  // namespace

core::Result<ServiceAccountKey> parse_service_account_key(const core::Secret& json,
                                                          std::string_view origin) {
  const nlohmann::json object = nlohmann::json::parse(json.reveal(), nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return core::fail(core::ErrorClass::Config, "jwt_bearer.not_json",
                      fmt::format("{} is not a JSON object", origin), std::string(kKeyFileRemedy));
  }
  const std::string type = string_field(object, "type");
  if (type != "service_account") {
    std::string what = type.empty()
                           ? std::string("has no \"type\"")
                           : fmt::format("has type \"{}\"", core::escape_control_characters(type));
    if (object.contains("installed") || object.contains("web")) {
      what = "is an OAuth client file (\"installed\"/\"web\"), not a service-account key";
    } else if (type == "authorized_user") {
      what = "holds a user's credentials (gcloud auth), not a service-account key";
    }
    return core::fail(core::ErrorClass::Config, "jwt_bearer.wrong_key_type",
                      fmt::format("{} {}; the JWT bearer grant needs \"type\": "
                                  "\"service_account\"",
                                  origin, what),
                      std::string(kKeyFileRemedy));
  }
  ServiceAccountKey key;
  key.client_email = string_field(object, "client_email");
  key.private_key_id = string_field(object, "private_key_id");
  key.token_uri = string_field(object, "token_uri");
  if (key.token_uri.empty()) key.token_uri = kGoogleTokenUrl;
  const auto private_key = object.find("private_key");
  if (key.client_email.empty() || private_key == object.end() || !private_key->is_string()) {
    return core::fail(core::ErrorClass::Config, "jwt_bearer.incomplete_key",
                      fmt::format("{} lacks client_email or private_key", origin),
                      std::string(kKeyFileRemedy));
  }
  auto signing_key = SigningKey::from_pem(core::Secret(private_key->get_ref<const std::string&>()),
                                          fmt::format("{} (private_key)", origin));
  if (!signing_key) return core::fail(std::move(signing_key.error()));
  if (signing_key->algorithm() != JwtAlgorithm::RS256) {
    return core::fail(core::ErrorClass::Config, "jwt_bearer.not_rsa",
                      fmt::format("the private_key in {} is not RSA; Google signs and checks "
                                  "RS256 only",
                                  origin),
                      std::string(kKeyFileRemedy));
  }
  key.key = std::make_shared<const SigningKey>(std::move(*signing_key));
  return key;
}

core::Result<ServiceAccountKey> load_service_account_key(const std::filesystem::path& path) {
  auto json = read_credential_file(path);
  if (!json) return core::fail(std::move(json.error()));
  return parse_service_account_key(*json, path.string());
}

core::Result<core::Secret> service_account_assertion(const JwtBearerGrant& grant,
                                                     std::chrono::system_clock::time_point now) {
  if (!grant.account.key || grant.account.client_email.empty() || grant.account.token_uri.empty()) {
    return core::fail(core::ErrorClass::Config, "oauth2.incomplete_grant",
                      "the JWT bearer grant needs a service-account key (client_email, "
                      "private_key, token_uri)",
                      std::string(kKeyFileRemedy));
  }
  if (grant.lifetime <= std::chrono::seconds(0) || grant.lifetime > kMaxJwtBearerLifetime) {
    return core::fail(core::ErrorClass::Config, "jwt_bearer.lifetime",
                      fmt::format("an assertion lifetime of {} s is outside 1..{} s",
                                  grant.lifetime.count(), kMaxJwtBearerLifetime.count()),
                      "leave the lifetime at its default (one hour)");
  }
  nlohmann::json header = {{"alg", to_string(grant.account.key->algorithm())}, {"typ", "JWT"}};
  if (!grant.account.private_key_id.empty()) header["kid"] = grant.account.private_key_id;
  const auto issued_at =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  nlohmann::json claims = {
      {"iss", grant.account.client_email},
      {"scope", join_scopes(grant.scopes)},
      {"aud", grant.account.token_uri},
      {"iat", issued_at},
      {"exp", issued_at + grant.lifetime.count()},
  };
  if (!grant.subject.empty()) claims["sub"] = grant.subject;
  return grant.account.key->sign(header.dump(), claims.dump());
}

core::Result<HttpRequest> jwt_bearer_request(const JwtBearerGrant& grant,
                                             std::chrono::system_clock::time_point now) {
  auto assertion = service_account_assertion(grant, now);
  if (!assertion) return core::fail(std::move(assertion.error()));
  HttpRequest request;
  request.method = "POST";
  request.url = grant.account.token_uri;
  request.body =
      form_encode({{"grant_type", kJwtBearerGrantType}, {"assertion", assertion->reveal()}});
  return request;
}

core::Result<TokenResponse> request_jwt_bearer(HttpClient& http, const JwtBearerGrant& grant,
                                               const RetryPolicy& policy, Sleeper& sleeper,
                                               const core::Clock& clock) {
  auto token = request_token_built_by(http, policy, sleeper,
                                      [&] { return jwt_bearer_request(grant, clock.now()); });
  if (!token) {
    if (token.error().code() == "oauth2.unauthorized_client" && !grant.subject.empty()) {
      token.error().with_remedy(fmt::format(
          "allow domain-wide delegation: Google Admin console > Security > API controls > "
          "Domain-wide delegation > Add new, with the service account's client id and the "
          "scopes \"{}\"; changes can take hours",
          join_scopes(grant.scopes)));
    }
    return token;
  }
  // The grant has no refresh token (RFC 7523); one sent anyway is not kept.
  token->refresh_token = core::Secret();
  return token;
}

}  // namespace mailoauth::oauth2
