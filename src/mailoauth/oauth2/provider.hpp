// Identity providers and their presets, as data: where a provider's
// authorize, token, device and revocation endpoints are (Microsoft per tenant
// and national cloud, Google, or a generic server given by URLs or by its
// issuer for discovery), which scopes a use needs (SMTP, IMAP, POP, Graph;
// delegated or app-only), which mail servers go with it, and which extra
// authorize parameters it wants (Google's access_type=offline and
// prompt=consent, without which no refresh token comes back). A user says
// "microsoft, app-only, smtp" and never types a scope URL; everything a
// preset knows is in the tables of provider.cpp and nowhere else.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::oauth2 {

enum class ProviderKind { Microsoft, Google, Generic };

// How the account obtains tokens.
enum class Flow {
  Delegated,       // a person signs in once (browser or device code); refresh tokens after
  App,             // client credentials (app-only), with a secret or a certificate
  ServiceAccount,  // Google Workspace service account (JWT bearer, impersonating `mailbox`)
  Password,        // LEGACY resource-owner password grant: fails whenever MFA applies
};

// What the token is for; decides the scopes of a preset.
enum class Use { Smtp, Imap, Pop, Mail /* SMTP and IMAP */, Graph };

struct Endpoints {
  std::string authorize_url;
  std::string token_url;
  std::string device_url;      // empty: the provider has no device flow
  std::string revocation_url;  // empty: the provider has no revocation endpoint
  std::vector<std::pair<std::string, std::string>> extra_authorize_parameters;
};

struct MailServers {
  std::string smtp_host;
  int smtp_port = 0;
  bool smtp_implicit_tls = false;  // false: STARTTLS
  std::string imap_host;
  int imap_port = 0;
  std::string pop_host;
  int pop_port = 0;
};

core::Result<ProviderKind> parse_provider_kind(std::string_view text);
core::Result<Flow> parse_flow(std::string_view text);
core::Result<Use> parse_use(std::string_view text);
std::string_view to_string(ProviderKind kind);
std::string_view to_string(Flow flow);
std::string_view to_string(Use use);

// Microsoft's login host for a cloud: "global" (login.microsoftonline.com),
// "usgov" and "usgov-dod" (login.microsoftonline.us), "china" (login.chinacloudapi.cn).
core::Result<std::string> microsoft_login_host(std::string_view cloud);

// Microsoft Graph's base URL for a cloud: https://graph.microsoft.com,
// graph.microsoft.us (usgov: GCC High), dod-graph.microsoft.us (usgov-dod),
// microsoftgraph.chinacloudapi.cn (china).
core::Result<std::string> microsoft_graph_url(std::string_view cloud);

// Endpoints for Microsoft (tenant: common, organizations, consumers, a GUID or
// a domain; checked for characters that cannot be in one) and Google.
core::Result<Endpoints> microsoft_endpoints(std::string_view tenant, std::string_view cloud);
Endpoints google_endpoints();

// The scopes a preset stands for; Config error when the pair makes no sense
// (Graph with Google, a device flow for Gmail, ...). Microsoft allows one
// resource per token: Mail is SMTP + IMAP of the same resource (outlook.office.com).
// Graph scopes name the `cloud`'s Graph host (empty: global).
core::Result<std::vector<std::string>> preset_scopes(ProviderKind kind, Flow flow, Use use,
                                                     std::string_view cloud = {});

// The provider's mail servers (empty for Generic).
MailServers mail_servers(ProviderKind kind);

// Lines for `--help` and docs: "microsoft delegated smtp -> https://outlook...".
std::vector<std::string> describe_presets();

}  // namespace mailoauth::oauth2
