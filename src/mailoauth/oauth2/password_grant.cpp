// The password grant request. Refusals keep the catalogue's explanation
// (AADSTS50126 wrong password, 50076 MFA, ...) and gain a sentence saying that
// this grant is legacy and what replaces it.
#include "mailoauth/oauth2/password_grant.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::oauth2 {

namespace {

constexpr std::string_view kLegacyRemedy =
    "the password grant is LEGACY: it fails whenever MFA or Conditional Access applies and "
    "never works for personal Microsoft accounts; use the device flow or the authorization "
    "code flow instead";

bool names_consumers_tenant(std::string_view url) {
  for (std::size_t at = 0; at + 11 <= url.size(); ++at) {
    if (core::iequals(url.substr(at, 11), "/consumers/")) return true;
  }
  return false;
}

}  // namespace

core::Result<HttpRequest> password_grant_request(const PasswordGrant& grant) {
  const std::string scope = join_scopes(grant.scopes);
  std::vector<FormField> fields = {{"grant_type", "password"},
                                   {"username", grant.username},
                                   {"password", grant.password.reveal()}};
  if (!scope.empty()) fields.emplace_back("scope", scope);
  return token_endpoint_request(grant.token_url, std::move(fields), grant.client);
}

core::Result<TokenResponse> request_password_grant(HttpClient& http, const PasswordGrant& grant,
                                                   const RetryPolicy& policy, Sleeper& sleeper) {
  if (grant.token_url.empty() || grant.client.client_id.empty() || grant.username.empty() ||
      grant.password.empty()) {
    return core::fail(core::ErrorClass::Config, "oauth2.incomplete_grant",
                      "the password grant needs a token URL, a client id, a user name and a "
                      "password",
                      std::string(kLegacyRemedy));
  }
  if (names_consumers_tenant(grant.token_url)) {
    return core::fail(core::ErrorClass::Config, "oauth2.password_grant_personal",
                      "Microsoft does not allow the password grant for personal accounts (the "
                      "consumers tenant)",
                      std::string(kLegacyRemedy));
  }
  auto token =
      request_token_built_by(http, policy, sleeper, [&] { return password_grant_request(grant); });
  if (!token && token.error().error_class() == core::ErrorClass::Permanent) {
    const std::string& remedy = token.error().remedy();
    token.error().with_remedy(remedy.empty() ? std::string(kLegacyRemedy)
                                             : fmt::format("{}; {}", remedy, kLegacyRemedy));
  }
  return token;
}

}  // namespace mailoauth::oauth2
