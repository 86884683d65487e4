// The SASL mechanisms mailoauth speaks, their wire names, and the checks every
// mechanism applies to what it is asked to send. Names go on the wire in upper
// case (some servers, Exchange among them, are picky) and are matched without
// regard to case when read from a capability list or a user's flag.
#pragma once

#include <optional>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::sasl {

enum class Mechanism { XOAuth2, OAuthBearer, Plain, Login };

// "XOAUTH2", "OAUTHBEARER", "PLAIN", "LOGIN".
std::string_view wire_name(Mechanism mechanism);
std::optional<Mechanism> parse_mechanism(std::string_view name);  // case-insensitive
// XOAUTH2 and OAUTHBEARER: the secret is a token that can be renewed.
bool is_bearer(Mechanism mechanism);

// Largest decoded client response the server-side parsers accept by default.
// Postfix accepts 12288 base64 octets (9216 bytes) by default; Microsoft 365
// access tokens run from 1.5 to over 4 KB and grow with group claims, so the
// default leaves room above both while keeping a hostile peer bounded.
inline constexpr std::size_t kDefaultMaxResponseSize = 64 * 1024;

// Refuses a user name or token that would break the framing of a SASL message:
// 0x01 separates XOAUTH2/OAUTHBEARER fields, NUL separates PLAIN fields, CR and
// LF end protocol lines. `what` names the field in the error ("user name",
// "access token"); the value itself is never quoted, since it may be a secret.
core::Result<void> check_field(std::string_view what, std::string_view value);

}  // namespace mailoauth::sasl
