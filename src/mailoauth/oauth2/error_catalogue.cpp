// The catalogue itself. Wording rules: `meaning` says what the server decided
// in words an admin understands; `remedy` is the next action, naming the exact
// setting, command or portal page. Sources: RFC 6749, RFC 8628, OpenID Connect
// Core, Microsoft's AADSTS reference, and the errors mail admins report.
#include "mailoauth/oauth2/error_catalogue.hpp"

#include <array>
#include <string>

namespace mailoauth::oauth2 {

namespace {

using core::ErrorClass;

constexpr std::array<CatalogueEntry, 17> kOAuth = {{
    {"invalid_request", ErrorClass::Permanent,
     "the token request was malformed (a missing, repeated or unsupported parameter)",
     "check the token URL and the account's settings; if they are right, report a mailoauth bug "
     "with the server's error_description"},
    {"invalid_client", ErrorClass::Permanent,
     "the server did not accept the client credentials: unknown client id, wrong or expired "
     "secret, or the wrong authentication method",
     "check client_id and the secret (for Microsoft: the secret's Value, not its Secret ID, and "
     "that it has not expired under Certificates & secrets)"},
    {"invalid_grant", ErrorClass::Permanent,
     "the grant is no longer valid: the refresh token, code or device code expired, was revoked, "
     "was already used, or belongs to another client",
     "sign in again: mailoauth token login ACCOUNT"},
    {"unauthorized_client", ErrorClass::Permanent,
     "this client is not allowed to use this kind of grant",
     "enable the grant for the app (for Microsoft device code or password flows: Authentication > "
     "Allow public client flows = Yes)"},
    {"unsupported_grant_type", ErrorClass::Permanent, "the server does not support this grant type",
     "choose a grant the provider supports"},
    {"invalid_scope", ErrorClass::Permanent,
     "the requested scope is unknown, malformed, or more than the grant allows",
     "check the scopes (for Microsoft client credentials use "
     "https://outlook.office365.com/.default)"},
    {"access_denied", ErrorClass::Permanent, "the user or an administrator declined the request",
     "sign in again and accept the consent screen, or ask an administrator to grant consent"},
    {"consent_required", ErrorClass::Permanent, "consent has not been given for these scopes",
     "sign in interactively (mailoauth token login ACCOUNT) or ask an administrator for consent"},
    {"interaction_required", ErrorClass::Permanent,
     "the server needs the user to sign in interactively (MFA, a policy, a changed password)",
     "sign in again: mailoauth token login ACCOUNT"},
    {"login_required", ErrorClass::Permanent, "the user must sign in again",
     "sign in again: mailoauth token login ACCOUNT"},
    {"server_error", ErrorClass::Temporary, "the identity server failed while handling the request",
     "nothing to change; mailoauth retries, and the provider's status page may say more"},
    {"temporarily_unavailable", ErrorClass::Temporary,
     "the identity server is overloaded or under maintenance",
     "nothing to change; mailoauth retries later"},
    {"expired_token", ErrorClass::Permanent,
     "the device code expired before the sign-in was completed",
     "run the device sign-in again and complete it within the time shown"},
    {"authorization_pending", ErrorClass::Temporary,
     "the device sign-in has not been completed yet", "complete the sign-in at the URL shown"},
    {"slow_down", ErrorClass::Temporary, "the device flow is polling too fast",
     "nothing to do; mailoauth polls more slowly"},
    {"unsupported_token_type", ErrorClass::Permanent, "the server cannot revoke this kind of token",
     "nothing to do; the token expires by itself"},
    // Microsoft's `error` with AADSTS500011 (the resource is not in the tenant).
    {"invalid_resource", ErrorClass::Permanent,
     "the resource (API) the scope names is not known in this tenant",
     "check the scope's resource: https://outlook.office365.com for Exchange, "
     "https://graph.microsoft.com for Graph, and that the tenant has Exchange Online"},
}};

// The numbers and their server texts: Microsoft Entra's "authentication and
// authorization error codes" page (learn.microsoft.com/entra/identity-platform/
// reference-error-codes); tests/cli/catalogue/proofs.tsv replays each one.
constexpr std::array<std::pair<std::int64_t, CatalogueEntry>, 28> kAadsts = {{
    {7000215,
     {"AADSTS7000215", ErrorClass::Permanent, "the client secret is wrong",
      "use the secret's Value (shown once when created), not its Secret ID"}},
    {7000222,
     {"AADSTS7000222", ErrorClass::Permanent, "the client secret has expired",
      "create a new secret under App registrations > Certificates & secrets and update the "
      "account; keep the old one configured until the new one works"}},
    {700016,
     {"AADSTS700016", ErrorClass::Permanent,
      "the application (client id) was not found in this tenant",
      "check client_id and tenant; a single-tenant app must use its own tenant, not 'common'"}},
    {65001,
     {"AADSTS65001", ErrorClass::Permanent, "the user or administrator has not consented",
      "grant admin consent under API permissions, or sign in and accept the consent screen "
      "(Graph's delegated preset also asks for Mail.Send.Shared, to send from shared mailboxes: "
      "run mailoauth token login ACCOUNT again to consent to it)"}},
    {50076,
     {"AADSTS50076", ErrorClass::Permanent, "multi-factor authentication is required",
      "use an interactive sign-in (mailoauth token login ACCOUNT); password grants cannot do MFA"}},
    {50079,
     {"AADSTS50079", ErrorClass::Permanent,
      "the user must register for multi-factor authentication",
      "sign in once in a browser to register MFA, then run mailoauth token login ACCOUNT"}},
    {70011,
     {"AADSTS70011", ErrorClass::Permanent, "the scope is invalid",
      "check the scopes: delegated mail uses https://outlook.office.com/SMTP.Send or "
      "IMAP.AccessAsUser.All, app-only uses https://outlook.office365.com/.default"}},
    {1002012,
     {"AADSTS1002012", ErrorClass::Permanent,
      "client credentials need a scope of the form <resource>/.default",
      "use https://outlook.office365.com/.default for SMTP/IMAP/POP, "
      "https://graph.microsoft.com/.default for Graph (national clouds: graph.microsoft.us, "
      "dod-graph.microsoft.us, microsoftgraph.chinacloudapi.cn; set cloud and the graph preset "
      "picks it)"}},
    {700022,
     {"AADSTS700022", ErrorClass::Permanent, "scopes for more than one resource in one request",
      "request one resource per token: Exchange (outlook.office.com) and Graph need separate "
      "tokens"}},
    {28000,
     {"AADSTS28000", ErrorClass::Permanent, "scopes for more than one resource in one request",
      "request one resource per token: Exchange and Graph need separate tokens"}},
    {50126,
     {"AADSTS50126", ErrorClass::Permanent, "the user name or password is wrong",
      "check the password; better, move off the password grant to an interactive or app-only "
      "sign-in"}},
    {90002,
     {"AADSTS90002", ErrorClass::Permanent, "the tenant was not found",
      "check the tenant (its GUID or a verified domain such as contoso.onmicrosoft.com)"}},
    {53003,
     {"AADSTS53003", ErrorClass::Permanent, "a Conditional Access policy blocked the sign-in",
      "ask the Entra administrator which policy applies (Sign-in logs show it) and exclude or "
      "satisfy it"}},
    {530035,
     {"AADSTS530035", ErrorClass::Permanent, "blocked by security defaults",
      "use an interactive sign-in with MFA, or ask the administrator to adjust security defaults"}},
    {700082,
     {"AADSTS700082", ErrorClass::Permanent, "the refresh token expired from inactivity",
      "sign in again: mailoauth token login ACCOUNT (keep the account in use at least every 90 "
      "days to avoid this)"}},
    {50173,
     {"AADSTS50173", ErrorClass::Permanent,
      "the grant was revoked (password changed or sessions revoked)",
      "sign in again: mailoauth token login ACCOUNT"}},
    {70008,
     {"AADSTS70008", ErrorClass::Permanent, "the authorization code or refresh token has expired",
      "sign in again: mailoauth token login ACCOUNT"}},
    {70043,
     {"AADSTS70043", ErrorClass::Permanent,
      "the refresh token is older than the sign-in frequency a Conditional Access policy allows",
      "sign in again: mailoauth token login ACCOUNT; the policy decides how often"}},
    {7000112,
     {"AADSTS7000112", ErrorClass::Permanent, "the application is disabled",
      "enable the enterprise application (Properties > Enabled for users to sign in)"}},
    {50011,
     {"AADSTS50011", ErrorClass::Permanent,
      "the redirect URI does not match one registered for the app",
      "register http://localhost as a redirect URI of the Mobile and desktop platform (the port is "
      "ignored)"}},
    {700024,
     {"AADSTS700024", ErrorClass::Permanent, "the client assertion is outside its valid time range",
      "check this machine's clock (timedatectl); the assertion's nbf/exp are taken from it"}},
    {700027,
     {"AADSTS700027", ErrorClass::Permanent,
      "the client assertion's signature or certificate is not accepted",
      "upload the certificate (public part) to the app registration and check its thumbprint"}},
    {50034,
     {"AADSTS50034", ErrorClass::Permanent, "the user account does not exist in this tenant",
      "check the user name and the tenant"}},
    {50020,
     {"AADSTS50020", ErrorClass::Permanent,
      "the account that signed in belongs to another tenant or is a personal Microsoft account, "
      "and is not a member or guest of this tenant",
      "sign in with an account of the tenant (mailoauth token login ACCOUNT, login_hint set to "
      "it); a personal account needs tenant = \"consumers\" or \"common\", a guest must be "
      "invited first"}},
    {50057,
     {"AADSTS50057", ErrorClass::Permanent, "the user account is disabled",
      "an administrator enables the account (Entra admin center > Users > the user > Account "
      "enabled)"}},
    {500011,
     {"AADSTS500011", ErrorClass::Permanent,
      "the resource the scope names (its service principal) was not found in the tenant",
      "check the scope: https://outlook.office365.com/.default needs Exchange Online in the "
      "tenant; a national cloud has its own resource URLs (set cloud)"}},
    {9002313,
     {"AADSTS9002313", ErrorClass::Permanent,
      "Entra could not read the request (malformed or invalid; often a scope with spaces or "
      "quotes, or an expired or already used code)",
      "check the account's scopes and tenant; run mailoauth -v token get ACCOUNT to see the "
      "request (secrets redacted); if it looks right, report a mailoauth bug"}},
    {7000218,
     {"AADSTS7000218", ErrorClass::Permanent,
      "the app is a confidential client but no client secret or assertion was sent",
      "either give the account its client secret, or allow public client flows for the app "
      "(Authentication > Allow public client flows = Yes) for device code and delegated sign-in"}},
}};

}  // namespace

const CatalogueEntry* find_oauth_error(std::string_view error) {
  for (const auto& entry : kOAuth) {
    if (entry.key == error) return &entry;
  }
  return nullptr;
}

const CatalogueEntry* find_aadsts(std::int64_t code) {
  for (const auto& [number, entry] : kAadsts) {
    if (number == code) return &entry;
  }
  return nullptr;
}

const CatalogueEntry* find_token_error(std::string_view error,
                                       std::span<const std::int64_t> error_codes) {
  for (std::int64_t code : error_codes) {
    if (const CatalogueEntry* entry = find_aadsts(code)) return entry;
  }
  return find_oauth_error(error);
}

std::span<const CatalogueEntry> oauth_catalogue() {
  return kOAuth;
}

std::span<const CatalogueEntry> aadsts_catalogue() {
  static const auto entries = [] {
    std::array<CatalogueEntry, kAadsts.size()> flat{};
    for (std::size_t i = 0; i < kAadsts.size(); ++i) flat[i] = kAadsts[i].second;
    return flat;
  }();
  return entries;
}

}  // namespace mailoauth::oauth2
