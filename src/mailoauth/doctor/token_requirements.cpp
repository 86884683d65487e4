// A token's claims against what SMTP, IMAP or Graph needs (see the header).
// The portal paths and PowerShell lines are Microsoft's documented ones
// (FACTS.md section 3).
#include "mailoauth/doctor/token_requirements.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/clock.hpp"

namespace mailoauth::doctor {

namespace {

using core::ErrorClass;

struct KnownAudience {
  std::string_view audience;
  bool exchange;  // else Microsoft Graph
};

constexpr std::array kAudiences = {
    KnownAudience{"https://outlook.office.com", true},
    KnownAudience{"https://outlook.office365.com", true},
    KnownAudience{"00000002-0000-0ff1-ce00-000000000000", true},
    KnownAudience{"https://graph.microsoft.com", false},
    KnownAudience{"00000003-0000-0000-c000-000000000000", false},
};

std::string_view api_name(MailApi api) {
  switch (api) {
    case MailApi::Smtp:
      return "SMTP AUTH";
    case MailApi::Imap:
      return "IMAP";
    case MailApi::Graph:
      return "Graph sendMail";
  }
  return "?";
}

bool contains(const std::vector<std::string>& list, std::string_view wanted) {
  return std::any_of(list.begin(), list.end(),
                     [wanted](const std::string& item) { return core::iequals(item, wanted); });
}

bool looks_like_tenant_id(std::string_view tenant) {
  if (tenant.size() != 36) return false;
  for (std::size_t i = 0; i < tenant.size(); ++i) {
    const char c = tenant[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Where the permission is added, as the Entra admin center shows it.
std::string permission_remedy(MailApi api, bool app_only) {
  const std::string_view permission = needed_permission(api, app_only);
  if (api == MailApi::Graph) {
    return fmt::format(
        "Entra admin center > App registrations > the app > API permissions > Add a permission > "
        "Microsoft Graph > {} permissions > Mail.Send{}; then get a new token",
        app_only ? "Application" : "Delegated",
        app_only ? ", then Grant admin consent" : " (and sign in again: mailoauth token login)");
  }
  if (app_only) {
    return fmt::format(
        "Entra admin center > App registrations > the app > API permissions > Add a permission > "
        "APIs my organization uses > Office 365 Exchange Online > Application permissions > {}, "
        "then Grant admin consent; Exchange also needs the service principal: "
        "New-ServicePrincipal -AppId <client id> -ObjectId <enterprise application object id>",
        permission);
  }
  return fmt::format(
      "Entra admin center > App registrations > the app > API permissions > Add a permission > "
      "Microsoft Graph > Delegated permissions > {}; request "
      "https://outlook.office.com/{} in the account's scopes (account add --preset {}) and sign "
      "in again: mailoauth token login",
      permission, permission, api == MailApi::Smtp ? "smtp" : "imap");
}

core::Error mismatch(std::string message, std::string remedy) {
  return core::Error(ErrorClass::Config, "doctor.token_mismatch", std::move(message),
                     std::move(remedy));
}

// Audience and permission, Microsoft only.
std::optional<core::Error> check_microsoft(const oauth2::JwtClaims& claims, const TokenNeeds& needs,
                                           ClaimsVerdict& verdict) {
  const bool want_exchange = needs.api != MailApi::Graph;
  bool known = false, right = false;
  for (const std::string& audience : claims.audiences) {
    for (const KnownAudience& entry : kAudiences) {
      if (!core::iequals(entry.audience, audience)) continue;
      known = true;
      right = right || entry.exchange == want_exchange;
    }
  }
  const std::string audiences = fmt::format("{}", fmt::join(claims.audiences, ", "));
  if (known && !right) {
    return mismatch(
        fmt::format(
            "the token is for {} (aud {}), and {} needs a token for {}",
            want_exchange ? "Microsoft Graph" : "Exchange Online", audiences, api_name(needs.api),
            want_exchange
                ? (needs.app_only ? "https://outlook.office365.com" : "https://outlook.office.com")
                : "https://graph.microsoft.com"),
        want_exchange
            ? (needs.app_only
                   ? "set scopes = [\"https://outlook.office365.com/.default\"] in the account "
                     "(account add --preset " +
                         std::string(needs.api == MailApi::Smtp ? "smtp" : "imap") + ")"
                   : "set the account's scopes to https://outlook.office.com/SMTP.Send or "
                     "https://outlook.office.com/IMAP.AccessAsUser.All and offline_access "
                     "(account add --preset mail), then mailoauth token login")
            : "set scopes = [\"https://graph.microsoft.com/.default\"] (app-only) or "
              "[\"https://graph.microsoft.com/Mail.Send\", \"offline_access\"] (delegated) in "
              "the account used for Graph (account add --preset graph)");
  }
  if (!known) {
    verdict.warnings.push_back(fmt::format("audience {} is not one mailoauth knows for {}",
                                           audiences.empty() ? "(none)" : audiences,
                                           api_name(needs.api)));
  }
  const std::string_view permission = needed_permission(needs.api, needs.app_only);
  const std::vector<std::string>& granted = needs.app_only ? claims.roles : claims.scopes;
  const std::vector<std::string>& other = needs.app_only ? claims.scopes : claims.roles;
  if (contains(granted, permission)) {
    verdict.found.push_back(fmt::format("{} needs {} ({}): present", api_name(needs.api),
                                        permission,
                                        needs.app_only ? "application role" : "delegated scope"));
    return std::nullopt;
  }
  const std::string_view wrong_kind = needed_permission(needs.api, !needs.app_only);
  if (contains(other, wrong_kind) || contains(other, permission)) {
    return mismatch(
        fmt::format("the token carries {} as {}, but this account is {} and {} needs {} as {}",
                    contains(other, wrong_kind) ? wrong_kind : permission,
                    needs.app_only ? "a delegated scope (scp)" : "an application role (roles)",
                    needs.app_only ? "app-only (client credentials)" : "delegated",
                    api_name(needs.api), permission,
                    needs.app_only ? "an application role (roles)" : "a delegated scope (scp)"),
        permission_remedy(needs.api, needs.app_only));
  }
  return mismatch(fmt::format("the token's {} lack {}, which {} needs ({}: {})",
                              needs.app_only ? "roles" : "scopes (scp)", permission,
                              api_name(needs.api), needs.app_only ? "roles" : "scp",
                              granted.empty() ? std::string("none")
                                              : fmt::format("{}", fmt::join(granted, " "))),
                  permission_remedy(needs.api, needs.app_only));
}

}  // namespace

std::string_view needed_permission(MailApi api, bool app_only) {
  switch (api) {
    case MailApi::Smtp:
      return app_only ? "SMTP.SendAsApp" : "SMTP.Send";
    case MailApi::Imap:
      return app_only ? "IMAP.AccessAsApp" : "IMAP.AccessAsUser.All";
    case MailApi::Graph:
      return "Mail.Send";
  }
  return "";
}

ClaimsVerdict check_token_claims(const oauth2::JwtClaims& claims, const TokenNeeds& needs,
                                 std::chrono::system_clock::time_point now) {
  ClaimsVerdict verdict;
  if (claims.kind == oauth2::TokenKind::Opaque) {
    verdict.found.emplace_back(
        "the token is opaque (not a JWT): its claims cannot be checked here, only the server "
        "can judge it");
    return verdict;
  }
  if (claims.kind == oauth2::TokenKind::Encrypted) {
    verdict.found.emplace_back(
        "the token is encrypted (JWE): its claims cannot be checked here, only the server can "
        "judge it");
    return verdict;
  }
  verdict.found = oauth2::format_claims(claims);
  if (claims.expires_at && *claims.expires_at <= now) {
    verdict.mismatch = mismatch(
        fmt::format("the token expired at {}", core::format_rfc3339_utc(*claims.expires_at, false)),
        "check this machine's clock (timedatectl); a fresh token comes with `mailoauth token get "
        "ACCOUNT --min-valid 3600`");
    return verdict;
  }
  if (needs.provider != oauth2::ProviderKind::Microsoft) {
    verdict.found.emplace_back(
        "audience and permissions are this identity server's own: not checked");
    return verdict;
  }
  if (looks_like_tenant_id(needs.tenant) && !claims.tenant_id.empty() &&
      !core::iequals(claims.tenant_id, needs.tenant)) {
    verdict.mismatch = mismatch(
        fmt::format("the token was issued by tenant {}, and the account names tenant {}",
                    claims.tenant_id, needs.tenant),
        "set tenant = \"<directory (tenant) ID>\" in the account to the tenant that holds the "
        "mailbox (Entra admin center > Overview > Tenant ID)");
    return verdict;
  }
  if (auto fault = check_microsoft(claims, needs, verdict)) {
    verdict.mismatch = std::move(fault);
    return verdict;
  }
  if (!needs.app_only && !claims.user.empty() && !needs.mailbox.empty() &&
      !core::iequals(claims.user, needs.mailbox)) {
    verdict.warnings.push_back(fmt::format(
        "the token is {}'s and the mailbox is {}: that works only when {} may act for it "
        "(Add-MailboxPermission -Identity {} -User {} -AccessRights FullAccess, or SendAs)",
        claims.user, needs.mailbox, claims.user, needs.mailbox, claims.user));
  }
  return verdict;
}

}  // namespace mailoauth::doctor
