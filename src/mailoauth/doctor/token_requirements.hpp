// Whether an access token's claims are what the protocol needs, decided
// before the server is asked, so that the doctor can name "a Graph token
// sent to SMTP" or "SMTP.Send where an app-only token needs SMTP.SendAsApp"
// instead of relaying the server's bare "535 Authentication unsuccessful".
// What Microsoft needs is documented (FACTS.md section 3, Microsoft's
// "Authenticate an IMAP, POP or SMTP connection using OAuth"):
//   SMTP   delegated scp SMTP.Send, app-only role SMTP.SendAsApp;
//   IMAP   delegated scp IMAP.AccessAsUser.All, app-only role IMAP.AccessAsApp;
//          both with audience Exchange Online (https://outlook.office.com,
//          https://outlook.office365.com or its application id);
//   Graph  Mail.Send (scp delegated, roles app-only), audience Microsoft Graph.
// Tenant (tid against a tenant id in the account), subject (the signed-in
// user against the mailbox, a warning: SendAs/FullAccess may allow it) and
// expiry are checked for every JWT. For other providers only the expiry is
// checked; opaque tokens (Google's ya29., the test stack's) and encrypted
// ones cannot be read, and the result says so instead of guessing. Pure: the
// claims come from oauth2::decode_jwt_claims, "now" from the caller.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/oauth2/jwt_claims.hpp"
#include "mailoauth/oauth2/provider.hpp"

namespace mailoauth::doctor {

enum class MailApi { Smtp, Imap, Graph };

struct TokenNeeds {
  MailApi api = MailApi::Smtp;
  oauth2::ProviderKind provider = oauth2::ProviderKind::Microsoft;
  bool app_only = false;  // client credentials: roles, not scp
  std::string tenant;     // the account's tenant ("contoso.com", a GUID, "organizations")
  std::string mailbox;    // the SASL user / Graph mailbox
};

struct ClaimsVerdict {
  std::vector<std::string> found;       // the claims and what they mean
  std::vector<std::string> warnings;    // worth fixing, not a fault
  std::optional<core::Error> mismatch;  // the first fault, Config class
};

// The permission the protocol needs for this kind of token: "SMTP.Send",
// "SMTP.SendAsApp", "IMAP.AccessAsUser.All", "IMAP.AccessAsApp", "Mail.Send".
std::string_view needed_permission(MailApi api, bool app_only);

ClaimsVerdict check_token_claims(const oauth2::JwtClaims& claims, const TokenNeeds& needs,
                                 std::chrono::system_clock::time_point now);

}  // namespace mailoauth::doctor
