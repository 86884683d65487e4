// One POST with the client's authentication.
#include "mailoauth/oauth2/revocation.hpp"

#include <fmt/format.h>

namespace mailoauth::oauth2 {

core::Result<void> revoke_token(HttpClient& http, const std::string& revocation_url,
                                const ClientIdentity& client, const core::Secret& token,
                                std::string_view token_type_hint) {
  std::vector<FormField> fields = {{"token", token.reveal()}};
  if (!token_type_hint.empty()) fields.emplace_back("token_type_hint", token_type_hint);
  auto request = token_endpoint_request(revocation_url, fields, client);
  if (!request) return core::fail(request.error());
  auto response = http.perform(*request);
  if (!response) return core::fail(std::move(response.error()).context("revoking"));
  if (response->status == 200) return {};
  auto refused = parse_token_response(response->status, response->body, response->retry_after);
  if (!refused) return core::fail(std::move(refused.error()).context("revoking"));
  return core::fail(core::ErrorClass::Permanent, "oauth2.revocation",
                    fmt::format("the revocation endpoint answered HTTP {}", response->status));
}

}  // namespace mailoauth::oauth2
