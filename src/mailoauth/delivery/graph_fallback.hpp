// When `transport = "auto"` gives up on SMTP and sends with Microsoft Graph:
// only after a refusal that means "SMTP AUTH is off here" — something Graph's
// sendMail does not depend on — never after a network failure, a refused
// recipient or a message the server would not take (Graph would fail the
// same way, or the SMTP server may take it later). The refusals are the SMTP
// reply catalogue's (smtp/reply_catalogue.cpp, FACTS.md section 3) and the
// client's own AUTH checks, named here as constants so the relay and the CLI
// decide alike. Pure.
#pragma once

#include <array>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::delivery {

// 535 5.7.139 "SmtpClientAuthentication is disabled for the Tenant".
inline constexpr std::string_view kSmtpAuthDisabledForTenant = "smtp.client_auth_disabled_tenant";
// 535 5.7.139 "SmtpClientAuthentication is disabled for the Mailbox".
inline constexpr std::string_view kSmtpAuthDisabledForMailbox = "smtp.client_auth_disabled_mailbox";
// 5.7.139 "... user is locked by your organization's security defaults policy":
// security defaults refuse the sign-in to SMTP; Graph takes the app's token.
inline constexpr std::string_view kSmtpRefusedBySecurityDefaults = "smtp.security_defaults";
// 5.7.139 with any other text: a tenant policy (Conditional Access, security defaults).
inline constexpr std::string_view kSmtpRefusedByTenantPolicy = "smtp.tenant_policy";
// 535 5.7.3 "Authentication unsuccessful": Exchange Online refused the token,
// which is also what it answers when SMTP AUTH is off for an app-only token.
inline constexpr std::string_view kSmtpAuthenticationUnsuccessful =
    "smtp.authentication_unsuccessful";
// The server offers no AUTH at all, or none of the account's mechanisms.
inline constexpr std::string_view kSmtpAuthNotOffered = "smtp.auth_not_offered";
inline constexpr std::string_view kSmtpAuthMechanismUnavailable = "smtp.auth_mechanism_unavailable";

inline constexpr std::array<std::string_view, 7> kGraphFallbackCodes = {
    kSmtpAuthDisabledForTenant,   kSmtpAuthDisabledForMailbox,     kSmtpRefusedBySecurityDefaults,
    kSmtpRefusedByTenantPolicy,   kSmtpAuthenticationUnsuccessful, kSmtpAuthNotOffered,
    kSmtpAuthMechanismUnavailable};

// True when `transport = "auto"` should try Graph after this SMTP error.
bool graph_may_help(const core::Error& smtp_error);

}  // namespace mailoauth::delivery
