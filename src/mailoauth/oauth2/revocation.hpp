// Token revocation (RFC 7009): tell the identity server a refresh token (or
// an access token) is no longer wanted, so a copy elsewhere stops working.
// 200 is success, also for a token the server did not know (the RFC says so);
// errors come in the token endpoint's shape and get its explanations.
// Microsoft's v2.0 endpoint has none: revoking there means revoking the
// user's sessions in Entra (`token revoke` says so).
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

core::Result<void> revoke_token(HttpClient& http, const std::string& revocation_url,
                                const ClientIdentity& client, const core::Secret& token,
                                std::string_view token_type_hint);

}  // namespace mailoauth::oauth2
