// JWT payload decoding (no signature check: display only) and the one table of
// what Exchange Online and Microsoft Graph audiences and permissions mean for
// mail, from FACTS.md section 2. Every string read from a token is escaped for
// control characters before it is kept, so a hostile token cannot put a line
// break or a terminal escape into a message.
#include "mailoauth/oauth2/jwt_claims.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::oauth2 {

namespace {

// ---- What mailoauth knows: audiences and permissions -----------------------

enum class Api { ExchangeOnline, MicrosoftGraph };
enum class Grant { Delegated, AppOnly };

struct AudienceEntry {
  std::string_view audience;
  Api api;
  std::string_view sentence;
};

constexpr std::string_view kExchangeAudiencesHint =
    "SMTP/IMAP need a token for https://outlook.office.com (delegated) or "
    "https://outlook.office365.com (app-only)";

constexpr std::array kAudiences = {
    AudienceEntry{"https://outlook.office.com", Api::ExchangeOnline,
                  "audience is Exchange Online (https://outlook.office.com, the delegated "
                  "resource): SMTP AUTH, IMAP and POP accept it"},
    AudienceEntry{"https://outlook.office365.com", Api::ExchangeOnline,
                  "audience is Exchange Online (https://outlook.office365.com, the app-only "
                  "resource): SMTP AUTH, IMAP and POP accept it"},
    AudienceEntry{"00000002-0000-0ff1-ce00-000000000000", Api::ExchangeOnline,
                  "audience is Exchange Online (its application id "
                  "00000002-0000-0ff1-ce00-000000000000): SMTP AUTH, IMAP and POP accept it"},
    AudienceEntry{"https://graph.microsoft.com", Api::MicrosoftGraph,
                  "audience is Microsoft Graph; SMTP/IMAP need a token for "
                  "https://outlook.office.com (delegated) or https://outlook.office365.com "
                  "(app-only)"},
    AudienceEntry{"00000003-0000-0000-c000-000000000000", Api::MicrosoftGraph,
                  "audience is Microsoft Graph (its application id "
                  "00000003-0000-0000-c000-000000000000); SMTP/IMAP need a token for "
                  "https://outlook.office.com (delegated) or https://outlook.office365.com "
                  "(app-only)"},
};

struct PermissionEntry {
  Api api;
  Grant grant;
  std::string_view permission;  // as it appears in scp or roles
  std::string_view granted;     // the sentence when present
  std::string_view missing;     // the sentence when absent
};

constexpr std::array kPermissions = {
    PermissionEntry{Api::ExchangeOnline, Grant::Delegated, "SMTP.Send",
                    "can send by SMTP AUTH (SMTP.Send)",
                    "cannot send by SMTP AUTH: the scopes lack SMTP.Send (request "
                    "https://outlook.office.com/SMTP.Send)"},
    PermissionEntry{Api::ExchangeOnline, Grant::Delegated, "IMAP.AccessAsUser.All",
                    "can log in to IMAP (IMAP.AccessAsUser.All)",
                    "cannot log in to IMAP: the scopes lack IMAP.AccessAsUser.All (request "
                    "https://outlook.office.com/IMAP.AccessAsUser.All)"},
    PermissionEntry{Api::ExchangeOnline, Grant::Delegated, "POP.AccessAsUser.All",
                    "can log in to POP (POP.AccessAsUser.All)",
                    "cannot log in to POP: the scopes lack POP.AccessAsUser.All (request "
                    "https://outlook.office.com/POP.AccessAsUser.All)"},
    PermissionEntry{Api::ExchangeOnline, Grant::AppOnly, "SMTP.SendAsApp",
                    "can send by SMTP AUTH as the application (SMTP.SendAsApp)",
                    "cannot send by SMTP AUTH: the roles lack SMTP.SendAsApp (add the "
                    "application permission on Office 365 Exchange Online and grant admin "
                    "consent)"},
    PermissionEntry{Api::ExchangeOnline, Grant::AppOnly, "IMAP.AccessAsApp",
                    "can log in to IMAP as the application (IMAP.AccessAsApp)",
                    "cannot log in to IMAP: the roles lack IMAP.AccessAsApp (add the "
                    "application permission on Office 365 Exchange Online and grant admin "
                    "consent)"},
    PermissionEntry{Api::ExchangeOnline, Grant::AppOnly, "POP.AccessAsApp",
                    "can log in to POP as the application (POP.AccessAsApp)",
                    "cannot log in to POP: the roles lack POP.AccessAsApp (add the application "
                    "permission on Office 365 Exchange Online and grant admin consent)"},
    PermissionEntry{Api::MicrosoftGraph, Grant::Delegated, "Mail.Send",
                    "can send with Graph sendMail (Mail.Send)",
                    "cannot send with Graph sendMail: the scopes lack Mail.Send"},
    PermissionEntry{Api::MicrosoftGraph, Grant::AppOnly, "Mail.Send",
                    "can send with Graph sendMail as the application (Mail.Send)",
                    "cannot send with Graph sendMail: the roles lack Mail.Send (application "
                    "permission, admin consent)"},
};

// What a valid token cannot show, said once per kind of token.
constexpr std::string_view kAppOnlyMailboxNote =
    "an app-only token says nothing about mailboxes: Exchange also needs the service "
    "principal (New-ServicePrincipal with the enterprise application's object id) and "
    "Add-MailboxPermission or an RBAC scope for each mailbox";

// smtp-hve.office365.com refuses tokens that expire within this (FACTS.md 2).
constexpr std::chrono::seconds kHighVolumeMargin{600};

// ---- Decoding ----------------------------------------------------------------

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

std::vector<std::string_view> split_dots(std::string_view token) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (parts.size() < 6) {  // more than five parts is not a JOSE object anyway
    const auto dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts;
}

std::optional<nlohmann::json> json_object_of(std::string_view base64url) {
  auto bytes = core::base64::decode(base64url, core::base64::Alphabet::UrlSafe,
                                    core::base64::Padding::Optional);
  if (!bytes) return std::nullopt;
  nlohmann::json object = nlohmann::json::parse(*bytes, nullptr, false);
  if (object.is_discarded() || !object.is_object()) return std::nullopt;
  return object;
}

std::string string_claim(const nlohmann::json& object, const char* key) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_string()) return {};
  return core::escape_control_characters(found->get_ref<const std::string&>());
}

std::vector<std::string> string_list_claim(const nlohmann::json& object, const char* key) {
  std::vector<std::string> values;
  const auto found = object.find(key);
  if (found == object.end()) return values;
  if (found->is_string()) {
    values.push_back(core::escape_control_characters(found->get_ref<const std::string&>()));
  } else if (found->is_array()) {
    for (const auto& item : *found) {
      if (item.is_string()) {
        values.push_back(core::escape_control_characters(item.get_ref<const std::string&>()));
      }
    }
  }
  return values;
}

std::vector<std::string> split_spaces(const std::string& text) {
  std::vector<std::string> words;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find(' ', start), text.size());
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// The last second system_clock can hold: libstdc++ counts nanoseconds in 64
// bits, so 2262-04-11T23:47:16Z. Converting a later NumericDate overflows
// (undefined behaviour, found by fuzzing), and so would the differences
// explain_validity takes.
constexpr std::int64_t kLatestSeconds =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max())
        .count();

// NumericDate (RFC 7519 section 2): seconds since the epoch, maybe fractional.
// A date before 1970 or after kLatestSeconds (or no number at all: NaN, 1e300)
// is not converted; its claim's name goes to `out_of_range` so that the
// explanation can say so instead of "no exp claim".
std::optional<std::chrono::system_clock::time_point> date_claim(
    const nlohmann::json& object, const char* key, std::vector<std::string>& out_of_range) {
  const auto found = object.find(key);
  if (found == object.end() || !found->is_number()) return std::nullopt;
  const double seconds = found->get<double>();
  if (!(seconds >= 0.0 && seconds <= static_cast<double>(kLatestSeconds))) {
    out_of_range.emplace_back(key);
    return std::nullopt;
  }
  const auto whole = std::min(static_cast<std::int64_t>(seconds), kLatestSeconds);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(whole)));
}

// ---- Explaining ----------------------------------------------------------------

std::string normalised_audience(std::string_view audience) {
  while (!audience.empty() && audience.back() == '/') audience.remove_suffix(1);
  return std::string(audience);
}

const AudienceEntry* find_audience(std::string_view audience) {
  const std::string normalised = normalised_audience(audience);
  for (const auto& entry : kAudiences) {
    if (core::iequals(entry.audience, normalised)) return &entry;
  }
  return nullptr;
}

// "https://outlook.office.com/SMTP.Send" and "SMTP.Send" both name SMTP.Send.
bool has_permission(const std::vector<std::string>& granted, std::string_view permission) {
  return std::any_of(granted.begin(), granted.end(), [&](const std::string& value) {
    std::string_view name = value;
    if (const auto slash = name.rfind('/'); slash != std::string_view::npos) {
      name.remove_prefix(slash + 1);
    }
    return core::iequals(name, permission);
  });
}

std::string describe_duration(std::chrono::seconds duration) {
  const auto seconds = duration.count();
  if (seconds < 120) return fmt::format("{} s", seconds);
  const auto minutes = seconds / 60;
  if (minutes < 180) return fmt::format("{} min", minutes);
  return fmt::format("{} h {} min", minutes / 60, minutes % 60);
}

std::string join(const std::vector<std::string>& values, std::string_view separator) {
  std::string joined;
  for (const auto& value : values) {
    if (!joined.empty()) joined += separator;
    joined += value;
  }
  return joined;
}

void explain_validity(const JwtClaims& claims, std::chrono::system_clock::time_point now,
                      std::vector<std::string>& lines) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  if (claims.not_before && *claims.not_before > now) {
    lines.push_back(fmt::format(
        "not valid yet: valid from {} (in {}); check the clocks of this machine and the server",
        core::format_rfc3339_utc(*claims.not_before, false),
        describe_duration(duration_cast<seconds>(*claims.not_before - now))));
  }
  for (const std::string& name : claims.dates_out_of_range) {
    lines.push_back(
        fmt::format("the {} claim is not a date between 1970 and 2262: the token is malformed, its "
                    "{} ignored",
                    name, name));
  }
  if (!claims.expires_at) {
    if (std::find(claims.dates_out_of_range.begin(), claims.dates_out_of_range.end(), "exp") ==
        claims.dates_out_of_range.end()) {
      lines.emplace_back("the token states no expiry (no exp claim)");
    }
    return;
  }
  const std::string at = core::format_rfc3339_utc(*claims.expires_at, false);
  if (*claims.expires_at <= now) {
    lines.push_back(fmt::format("expired {} ago (at {}): get a new token",
                                describe_duration(duration_cast<seconds>(now - *claims.expires_at)),
                                at));
    return;
  }
  const auto left = duration_cast<seconds>(*claims.expires_at - now);
  std::string line = fmt::format("expires in {} (at {})", describe_duration(left), at);
  if (left < kHighVolumeMargin) {
    line += "; smtp-hve.office365.com already refuses it (\"Token will expire soon\")";
  }
  lines.push_back(std::move(line));
}

}  // namespace

core::Result<JwtClaims> decode_jwt_claims(std::string_view token) {
  token = trim(token);
  if (token.size() > kMaxJwtSize) {
    return core::fail(core::ErrorClass::Permanent, "jwt.too_large",
                      fmt::format("the token is {} bytes, more than the {} a token can be",
                                  token.size(), kMaxJwtSize),
                      "pass the access token itself, not a file or a response that contains it");
  }
  if (core::istarts_with(token, "Bearer ")) token = trim(token.substr(7));

  JwtClaims claims;
  const auto parts = split_dots(token);
  if (parts.size() != 3 && parts.size() != 5) return claims;  // opaque
  const auto header = json_object_of(parts[0]);
  if (!header) return claims;
  claims.algorithm = string_claim(*header, "alg");
  if (claims.algorithm.empty()) return claims;  // JSON, but not a JOSE header
  claims.type = string_claim(*header, "typ");
  claims.is_jwt = true;
  if (parts.size() == 5) {
    claims.kind = TokenKind::Encrypted;
    return claims;
  }
  claims.kind = TokenKind::Signed;

  auto payload_bytes = core::base64::decode(parts[1], core::base64::Alphabet::UrlSafe,
                                            core::base64::Padding::Optional);
  if (!payload_bytes) {
    return core::fail(core::ErrorClass::Permanent, "jwt.bad_payload",
                      fmt::format("the token has a JWT header (alg {}) but its payload is not "
                                  "base64url: {}",
                                  claims.algorithm, payload_bytes.error().message()),
                      "the token was probably cut or altered when it was copied: copy it again, "
                      "whole and on one line");
  }
  const nlohmann::json payload = nlohmann::json::parse(*payload_bytes, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return core::fail(core::ErrorClass::Permanent, "jwt.bad_payload_json",
                      fmt::format("the token has a JWT header (alg {}) but its payload is not a "
                                  "JSON object",
                                  claims.algorithm),
                      "the token was probably cut or altered when it was copied: copy it again, "
                      "whole and on one line");
  }

  claims.audiences = string_list_claim(payload, "aud");
  claims.scopes = split_spaces(string_claim(payload, "scp"));
  if (claims.scopes.empty()) claims.scopes = split_spaces(string_claim(payload, "scope"));
  claims.roles = string_list_claim(payload, "roles");
  claims.tenant_id = string_claim(payload, "tid");
  for (const char* key : {"upn", "unique_name", "preferred_username", "email"}) {
    claims.user = string_claim(payload, key);
    if (!claims.user.empty()) {
      claims.user_claim = key;
      break;
    }
  }
  for (const char* key : {"appid", "azp"}) {
    claims.app_id = string_claim(payload, key);
    if (!claims.app_id.empty()) break;
  }
  claims.issuer = string_claim(payload, "iss");
  claims.subject = string_claim(payload, "sub");
  claims.version = string_claim(payload, "ver");
  claims.expires_at = date_claim(payload, "exp", claims.dates_out_of_range);
  claims.not_before = date_claim(payload, "nbf", claims.dates_out_of_range);
  claims.issued_at = date_claim(payload, "iat", claims.dates_out_of_range);
  return claims;
}

std::vector<std::string> format_claims(const JwtClaims& claims) {
  std::vector<std::string> lines;
  const auto add = [&](std::string_view name, const std::string& value) {
    if (!value.empty()) lines.push_back(fmt::format("{}: {}", name, value));
  };
  const auto add_time = [&](std::string_view name,
                            const std::optional<std::chrono::system_clock::time_point>& time) {
    if (time) add(name, core::format_rfc3339_utc(*time, false));
  };
  add("alg", claims.algorithm);
  add("typ", claims.type);
  add("aud", join(claims.audiences, ", "));
  add("scp", join(claims.scopes, " "));
  add("roles", join(claims.roles, ", "));
  add("tid", claims.tenant_id);
  if (!claims.user.empty()) add(claims.user_claim, claims.user);
  add("appid", claims.app_id);
  add("iss", claims.issuer);
  add("sub", claims.subject);
  add_time("nbf", claims.not_before);
  add_time("iat", claims.issued_at);
  add_time("exp", claims.expires_at);
  add("ver", claims.version);
  return lines;
}

std::vector<std::string> explain_claims(const JwtClaims& claims,
                                        std::chrono::system_clock::time_point now) {
  std::vector<std::string> lines;
  if (claims.kind == TokenKind::Opaque) {
    lines.emplace_back(
        "the token is opaque (not a JWT): only the identity server can say what it allows "
        "(token introspection); that is normal and not an error");
    return lines;
  }
  if (claims.kind == TokenKind::Encrypted) {
    lines.emplace_back(
        "the token is encrypted, cannot be read (JWE): only the API it is for can decrypt it");
    return lines;
  }

  std::optional<Api> api;
  if (claims.audiences.empty()) {
    lines.push_back(fmt::format("the token names no audience (aud); {}", kExchangeAudiencesHint));
  }
  for (const auto& audience : claims.audiences) {
    if (const AudienceEntry* entry = find_audience(audience)) {
      lines.emplace_back(entry->sentence);
      if (!api) api = entry->api;
    } else {
      lines.push_back(fmt::format("audience is {}, not Exchange Online or Microsoft Graph; {}",
                                  audience, kExchangeAudiencesHint));
    }
  }

  const bool delegated = !claims.scopes.empty();
  const bool app_only = !delegated && !claims.roles.empty();
  if (delegated) {
    lines.push_back(
        claims.user.empty()
            ? std::string("delegated token (scp): it acts for a signed-in user")
            : fmt::format("delegated token (scp) for {} ({})", claims.user, claims.user_claim));
  } else if (app_only) {
    lines.push_back(
        claims.app_id.empty()
            ? std::string("app-only token (roles, no scp)")
            : fmt::format("app-only token (roles, no scp) of application {}", claims.app_id));
  } else if (api) {
    lines.emplace_back("neither scp nor roles: the token grants no Exchange or Graph permission");
  }

  if (api && (delegated || app_only)) {
    const Grant grant = delegated ? Grant::Delegated : Grant::AppOnly;
    const auto& granted = delegated ? claims.scopes : claims.roles;
    for (const auto& entry : kPermissions) {
      if (entry.api != *api || entry.grant != grant) continue;
      lines.emplace_back(has_permission(granted, entry.permission) ? entry.granted : entry.missing);
    }
    if (app_only && *api == Api::ExchangeOnline) lines.emplace_back(kAppOnlyMailboxNote);
  }
  if (!claims.tenant_id.empty()) lines.push_back(fmt::format("tenant {}", claims.tenant_id));
  explain_validity(claims, now, lines);
  return lines;
}

}  // namespace mailoauth::oauth2
