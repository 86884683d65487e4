// The provider tables. Sources: Microsoft identity platform and Exchange
// Online documentation, Google's OAuth 2.0 and Gmail IMAP/SMTP pages (see
// FACTS.md section 2). Scope strings are copied exactly: a wrong letter gives
// AADSTS70011 or a token Exchange refuses with 5.7.3.
#include "mailoauth/oauth2/provider.hpp"

#include <array>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

namespace {

using core::ErrorClass;

template <typename T>
struct Name {
  T value;
  std::string_view text;
};

constexpr std::array<Name<ProviderKind>, 3> kProviders{{
    {ProviderKind::Microsoft, "microsoft"},
    {ProviderKind::Google, "google"},
    {ProviderKind::Generic, "generic"},
}};
constexpr std::array<Name<Flow>, 4> kFlows{{
    {Flow::Delegated, "delegated"},
    {Flow::App, "app"},
    {Flow::ServiceAccount, "service-account"},
    {Flow::Password, "password"},
}};
constexpr std::array<Name<Use>, 5> kUses{{
    {Use::Smtp, "smtp"},
    {Use::Imap, "imap"},
    {Use::Pop, "pop"},
    {Use::Mail, "mail"},
    {Use::Graph, "graph"},
}};

template <typename T, std::size_t N>
core::Result<T> parse_name(const std::array<Name<T>, N>& names, std::string_view text,
                           std::string_view what) {
  std::string choices;
  for (const auto& name : names) {
    if (core::iequals(name.text, text)) return name.value;
    if (!choices.empty()) choices += ", ";
    choices += name.text;
  }
  return core::fail(ErrorClass::Config, "config.bad_value",
                    fmt::format("unknown {} \"{}\"", what, core::escape_control_characters(text)),
                    fmt::format("use one of: {}", choices));
}

template <typename T, std::size_t N>
std::string_view name_of(const std::array<Name<T>, N>& names, T value) {
  for (const auto& name : names) {
    if (name.value == value) return name.text;
  }
  return "?";
}

// Graph hosts from https://learn.microsoft.com/graph/deployments; a national
// cloud's Graph scopes name its own host (graph/sdks/national-clouds). GCC
// (moderate) tenants use the global cloud; GCC High is "usgov".
struct Cloud {
  std::string_view name;
  std::string_view login_host;
  std::string_view graph_host;
};
constexpr std::array<Cloud, 4> kClouds{{
    {"global", "login.microsoftonline.com", "graph.microsoft.com"},
    {"usgov", "login.microsoftonline.us", "graph.microsoft.us"},
    {"usgov-dod", "login.microsoftonline.us", "dod-graph.microsoft.us"},
    {"china", "login.chinacloudapi.cn", "microsoftgraph.chinacloudapi.cn"},
}};

core::Result<const Cloud*> find_cloud(std::string_view cloud) {
  if (cloud.empty()) cloud = "global";
  std::string choices;
  for (const auto& entry : kClouds) {
    if (core::iequals(entry.name, cloud)) return &entry;
    if (!choices.empty()) choices += ", ";
    choices += entry.name;
  }
  return core::fail(
      ErrorClass::Config, "config.bad_value",
      fmt::format("unknown Microsoft cloud \"{}\"", core::escape_control_characters(cloud)),
      fmt::format("use one of: {}", choices));
}

// One row per (provider, flow, use) that makes sense.
struct Preset {
  ProviderKind kind;
  Flow flow;
  Use use;
  std::string_view scopes;  // space-separated
};
constexpr std::array<Preset, 21> kPresets{{
    {ProviderKind::Microsoft, Flow::Delegated, Use::Smtp,
     "https://outlook.office.com/SMTP.Send offline_access"},
    {ProviderKind::Microsoft, Flow::Delegated, Use::Imap,
     "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"},
    {ProviderKind::Microsoft, Flow::Delegated, Use::Pop,
     "https://outlook.office.com/POP.AccessAsUser.All offline_access"},
    {ProviderKind::Microsoft, Flow::Delegated, Use::Mail,
     "https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All "
     "offline_access"},
    {ProviderKind::Microsoft, Flow::Delegated, Use::Graph,
     "https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/Mail.Send.Shared "
     "offline_access"},
    {ProviderKind::Microsoft, Flow::Password, Use::Smtp,
     "https://outlook.office.com/SMTP.Send offline_access"},
    {ProviderKind::Microsoft, Flow::Password, Use::Imap,
     "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"},
    {ProviderKind::Microsoft, Flow::Password, Use::Mail,
     "https://outlook.office.com/SMTP.Send https://outlook.office.com/IMAP.AccessAsUser.All "
     "offline_access"},
    {ProviderKind::Microsoft, Flow::App, Use::Smtp, "https://outlook.office365.com/.default"},
    {ProviderKind::Microsoft, Flow::App, Use::Imap, "https://outlook.office365.com/.default"},
    {ProviderKind::Microsoft, Flow::App, Use::Pop, "https://outlook.office365.com/.default"},
    {ProviderKind::Microsoft, Flow::App, Use::Mail, "https://outlook.office365.com/.default"},
    {ProviderKind::Microsoft, Flow::App, Use::Graph, "https://graph.microsoft.com/.default"},
    {ProviderKind::Google, Flow::Delegated, Use::Smtp, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::Delegated, Use::Imap, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::Delegated, Use::Pop, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::Delegated, Use::Mail, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::ServiceAccount, Use::Smtp, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::ServiceAccount, Use::Imap, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::ServiceAccount, Use::Pop, "https://mail.google.com/"},
    {ProviderKind::Google, Flow::ServiceAccount, Use::Mail, "https://mail.google.com/"},
}};

bool valid_tenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 256) return false;
  for (const char c : tenant) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

core::Result<ProviderKind> parse_provider_kind(std::string_view text) {
  return parse_name(kProviders, text, "provider");
}
core::Result<Flow> parse_flow(std::string_view text) {
  return parse_name(kFlows, text, "flow");
}
core::Result<Use> parse_use(std::string_view text) {
  return parse_name(kUses, text, "preset");
}
std::string_view to_string(ProviderKind kind) {
  return name_of(kProviders, kind);
}
std::string_view to_string(Flow flow) {
  return name_of(kFlows, flow);
}
std::string_view to_string(Use use) {
  return name_of(kUses, use);
}

core::Result<std::string> microsoft_login_host(std::string_view cloud) {
  auto found = find_cloud(cloud);
  if (!found) return core::fail(found.error());
  return std::string((*found)->login_host);
}

core::Result<std::string> microsoft_graph_url(std::string_view cloud) {
  auto found = find_cloud(cloud);
  if (!found) return core::fail(found.error());
  return fmt::format("https://{}", (*found)->graph_host);
}

core::Result<Endpoints> microsoft_endpoints(std::string_view tenant, std::string_view cloud) {
  if (tenant.empty()) tenant = "organizations";
  if (!valid_tenant(tenant)) {
    return core::fail(
        ErrorClass::Config, "config.bad_value",
        fmt::format("\"{}\" is not a Microsoft tenant", core::escape_control_characters(tenant)),
        "use the directory (tenant) ID from the app registration's overview, a "
        "verified domain such as contoso.onmicrosoft.com, or organizations");
  }
  auto host = microsoft_login_host(cloud);
  if (!host) return core::fail(host.error());
  const std::string base = fmt::format("https://{}/{}/oauth2/v2.0/", *host, tenant);
  Endpoints endpoints;
  endpoints.authorize_url = base + "authorize";
  endpoints.token_url = base + "token";
  endpoints.device_url = base + "devicecode";
  // The v2.0 endpoint has no RFC 7009 revocation; sign-out happens in Entra
  // (revokeSignInSessions), which `token revoke` explains.
  return endpoints;
}

Endpoints google_endpoints() {
  Endpoints endpoints;
  endpoints.authorize_url = "https://accounts.google.com/o/oauth2/auth";
  endpoints.token_url = "https://oauth2.googleapis.com/token";
  endpoints.device_url = "https://oauth2.googleapis.com/device/code";
  endpoints.revocation_url = "https://oauth2.googleapis.com/revoke";
  // Without both, Google returns a refresh token only on the first consent.
  endpoints.extra_authorize_parameters = {{"access_type", "offline"}, {"prompt", "consent"}};
  return endpoints;
}

core::Result<std::vector<std::string>> preset_scopes(ProviderKind kind, Flow flow, Use use,
                                                     std::string_view cloud) {
  if (kind == ProviderKind::Generic) {
    return core::fail(ErrorClass::Config, "config.no_preset",
                      "a generic provider has no scope presets",
                      "list the scopes the server wants: scopes = [\"...\"]");
  }
  for (const auto& preset : kPresets) {
    if (preset.kind == kind && preset.flow == flow && preset.use == use) {
      std::vector<std::string> scopes = split_scopes(preset.scopes);
      if (kind != ProviderKind::Microsoft || use != Use::Graph) return scopes;
      auto found = find_cloud(cloud);  // Graph scopes name the cloud's Graph host
      if (!found) return core::fail(found.error());
      constexpr std::string_view kGlobal = "graph.microsoft.com";
      for (std::string& scope : scopes) {
        if (const auto at = scope.find(kGlobal); at != std::string::npos) {
          scope.replace(at, kGlobal.size(), (*found)->graph_host);
        }
      }
      return scopes;
    }
  }
  std::string remedy;
  if (kind == ProviderKind::Google && use == Use::Graph) {
    remedy = "Microsoft Graph is Microsoft's; for Gmail use smtp, imap, pop or mail";
  } else if (kind == ProviderKind::Google && flow == Flow::App) {
    remedy =
        "Google has no client-credentials grant for Gmail: use flow = \"service-account\" "
        "(Workspace, domain-wide delegation) or \"delegated\"";
  } else if (kind == ProviderKind::Google) {
    remedy = "use flow = \"delegated\" or \"service-account\" with preset \"mail\"";
  } else if (flow == Flow::ServiceAccount) {
    remedy = "service accounts are Google's; Microsoft app-only is flow = \"app\"";
  } else {
    remedy = "use smtp, imap or mail (Graph needs flow = \"delegated\" or \"app\")";
  }
  return core::fail(
      ErrorClass::Config, "config.no_preset",
      fmt::format("no {} {} preset for {}", to_string(kind), to_string(flow), to_string(use)),
      remedy);
}

MailServers mail_servers(ProviderKind kind) {
  MailServers servers;
  if (kind == ProviderKind::Microsoft) {
    servers = {"smtp.office365.com",    587, false, "outlook.office365.com", 993,
               "outlook.office365.com", 995};
  } else if (kind == ProviderKind::Google) {
    servers = {"smtp.gmail.com", 465, true, "imap.gmail.com", 993, "pop.gmail.com", 995};
  }
  return servers;
}

std::vector<std::string> describe_presets() {
  std::vector<std::string> lines;
  for (const auto& preset : kPresets) {
    lines.push_back(fmt::format("{:<9} {:<15} {:<5} {}", to_string(preset.kind),
                                to_string(preset.flow), to_string(preset.use), preset.scopes));
  }
  return lines;
}

}  // namespace mailoauth::oauth2
