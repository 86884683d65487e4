// Provider presets, byte for byte where the scope strings are promised (a
// wrong character is AADSTS70011), and the refusals that name the right flow.
#include "mailoauth/oauth2/provider.hpp"

#include <gtest/gtest.h>

namespace mailoauth::oauth2 {
namespace {

TEST(ProviderTest, MicrosoftEndpointsPerTenantAndCloud) {
  auto global = microsoft_endpoints("contoso.onmicrosoft.com", "");
  ASSERT_TRUE(global.has_value());
  EXPECT_EQ(global->token_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token");
  EXPECT_EQ(global->authorize_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize");
  EXPECT_EQ(global->device_url,
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/devicecode");
  auto usgov = microsoft_endpoints("", "usgov");
  ASSERT_TRUE(usgov.has_value());
  EXPECT_EQ(usgov->token_url, "https://login.microsoftonline.us/organizations/oauth2/v2.0/token");
  EXPECT_EQ(microsoft_endpoints("x", "mars").error().code(), "config.bad_value");
}

TEST(ProviderTest, TenantWithPathCharactersIsRefused) {
  for (const char* tenant : {"contoso/../x", "a b", "a?b", "a\r\nb"}) {
    auto endpoints = microsoft_endpoints(tenant, "global");
    ASSERT_FALSE(endpoints.has_value()) << tenant;
    EXPECT_NE(endpoints.error().remedy().find("tenant"), std::string::npos);
  }
}

TEST(ProviderTest, GoogleAsksForOfflineAccessAndConsent) {
  const Endpoints google = google_endpoints();
  EXPECT_EQ(google.token_url, "https://oauth2.googleapis.com/token");
  ASSERT_EQ(google.extra_authorize_parameters.size(), 2u);
  EXPECT_EQ(google.extra_authorize_parameters[0].first, "access_type");
  EXPECT_EQ(google.extra_authorize_parameters[0].second, "offline");
  EXPECT_EQ(google.extra_authorize_parameters[1].second, "consent");
}

TEST(ProviderTest, PresetScopes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::Delegated, Use::Smtp).value(),
            (V{"https://outlook.office.com/SMTP.Send", "offline_access"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::Delegated, Use::Mail).value(),
            (V{"https://outlook.office.com/SMTP.Send",
               "https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::App, Use::Imap).value(),
            (V{"https://outlook.office365.com/.default"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::App, Use::Graph).value(),
            (V{"https://graph.microsoft.com/.default"}));
  // Sending from a shared mailbox or as another user needs Mail.Send.Shared.
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::Delegated, Use::Graph).value(),
            (V{"https://graph.microsoft.com/Mail.Send",
               "https://graph.microsoft.com/Mail.Send.Shared", "offline_access"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Google, Flow::Delegated, Use::Imap).value(),
            (V{"https://mail.google.com/"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Google, Flow::ServiceAccount, Use::Smtp).value(),
            (V{"https://mail.google.com/"}));
}

// A national cloud's Graph has its own host, and its scopes must name it
// (learn.microsoft.com/graph/deployments, graph/sdks/national-clouds).
TEST(ProviderTest, GraphHostAndScopesFollowTheCloud) {
  using V = std::vector<std::string>;
  EXPECT_EQ(microsoft_graph_url("").value(), "https://graph.microsoft.com");
  EXPECT_EQ(microsoft_graph_url("usgov").value(), "https://graph.microsoft.us");
  EXPECT_EQ(microsoft_graph_url("USGOV-DOD").value(), "https://dod-graph.microsoft.us");
  EXPECT_EQ(microsoft_graph_url("china").value(), "https://microsoftgraph.chinacloudapi.cn");
  EXPECT_EQ(microsoft_login_host("usgov-dod").value(), "login.microsoftonline.us");
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::App, Use::Graph, "usgov").value(),
            (V{"https://graph.microsoft.us/.default"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::App, Use::Graph, "usgov-dod").value(),
            (V{"https://dod-graph.microsoft.us/.default"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::Delegated, Use::Graph, "china").value(),
            (V{"https://microsoftgraph.chinacloudapi.cn/Mail.Send",
               "https://microsoftgraph.chinacloudapi.cn/Mail.Send.Shared", "offline_access"}));
  EXPECT_EQ(preset_scopes(ProviderKind::Microsoft, Flow::App, Use::Smtp, "usgov").value(),
            (V{"https://outlook.office365.com/.default"}))
      << "only Graph's scopes follow the cloud here";
  EXPECT_FALSE(preset_scopes(ProviderKind::Microsoft, Flow::App, Use::Graph, "mars").has_value());
  EXPECT_FALSE(microsoft_graph_url("mars").has_value());
}

TEST(ProviderTest, PresetsThatMakeNoSenseSayWhatDoes) {
  auto graph = preset_scopes(ProviderKind::Google, Flow::Delegated, Use::Graph);
  ASSERT_FALSE(graph.has_value());
  EXPECT_NE(graph.error().remedy().find("Microsoft"), std::string::npos);
  auto app = preset_scopes(ProviderKind::Google, Flow::App, Use::Smtp);
  ASSERT_FALSE(app.has_value());
  EXPECT_NE(app.error().remedy().find("service-account"), std::string::npos);
  EXPECT_FALSE(preset_scopes(ProviderKind::Generic, Flow::Delegated, Use::Smtp).has_value());
}

TEST(ProviderTest, NamesRoundTripAndUnknownNamesListTheChoices) {
  for (const auto flow : {Flow::Delegated, Flow::App, Flow::ServiceAccount, Flow::Password}) {
    EXPECT_EQ(parse_flow(to_string(flow)).value(), flow);
  }
  EXPECT_EQ(parse_provider_kind("Microsoft").value(), ProviderKind::Microsoft);
  auto unknown = parse_provider_kind("yahoo");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().remedy(), "use one of: microsoft, google, generic");
}

TEST(ProviderTest, MailServers) {
  const MailServers microsoft = mail_servers(ProviderKind::Microsoft);
  EXPECT_EQ(microsoft.smtp_host, "smtp.office365.com");
  EXPECT_EQ(microsoft.smtp_port, 587);
  EXPECT_FALSE(microsoft.smtp_implicit_tls);
  const MailServers google = mail_servers(ProviderKind::Google);
  EXPECT_EQ(google.smtp_port, 465);
  EXPECT_TRUE(google.smtp_implicit_tls);
}

}  // namespace
}  // namespace mailoauth::oauth2
