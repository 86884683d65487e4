// A token's claims against what SMTP, IMAP and Graph need: the right token
// passes; a Graph token for SMTP, SMTP.Send on an app-only account, a token
// without the role, another tenant, an expired token are named with their
// remedy; an opaque or encrypted token is said to be uncheckable, never
// guessed at; a delegated token for another user is a warning.
#include "mailoauth/doctor/token_requirements.hpp"

#include <gtest/gtest.h>

namespace mailoauth::doctor {
namespace {

using std::chrono::hours;
using std::chrono::system_clock;

const system_clock::time_point kNow = system_clock::from_time_t(1'800'000'000);
constexpr const char* kTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

oauth2::JwtClaims app_token(std::string audience, std::vector<std::string> roles) {
  oauth2::JwtClaims claims;
  claims.kind = oauth2::TokenKind::Signed;
  claims.is_jwt = true;
  claims.audiences = {std::move(audience)};
  claims.roles = std::move(roles);
  claims.tenant_id = kTenant;
  claims.expires_at = kNow + hours(1);
  return claims;
}

TokenNeeds needs(MailApi api, bool app_only) {
  return {api, oauth2::ProviderKind::Microsoft, app_only, kTenant, "printer@contoso.com"};
}

TEST(TokenRequirements, TheRightAppTokenPasses) {
  const auto verdict =
      check_token_claims(app_token("https://outlook.office365.com", {"SMTP.SendAsApp"}),
                         needs(MailApi::Smtp, true), kNow);
  EXPECT_FALSE(verdict.mismatch);
  EXPECT_TRUE(verdict.warnings.empty());
  EXPECT_NE(std::find(verdict.found.begin(), verdict.found.end(),
                      "SMTP AUTH needs SMTP.SendAsApp (application role): present"),
            verdict.found.end());
}

TEST(TokenRequirements, AGraphTokenForSmtpIsNamedBeforeTheServerIsAsked) {
  const auto verdict = check_token_claims(app_token("https://graph.microsoft.com", {"Mail.Send"}),
                                          needs(MailApi::Smtp, true), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_EQ(verdict.mismatch->code(), "doctor.token_mismatch");
  EXPECT_EQ(verdict.mismatch->error_class(), core::ErrorClass::Config);
  EXPECT_NE(verdict.mismatch->message().find("the token is for Microsoft Graph"), std::string::npos)
      << verdict.mismatch->message();
  EXPECT_NE(verdict.mismatch->remedy().find("https://outlook.office365.com/.default"),
            std::string::npos);
}

TEST(TokenRequirements, AnExchangeTokenForGraphIsNamed) {
  const auto verdict =
      check_token_claims(app_token("https://outlook.office365.com", {"SMTP.SendAsApp"}),
                         needs(MailApi::Graph, true), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_NE(verdict.mismatch->message().find("needs a token for https://graph.microsoft.com"),
            std::string::npos);
}

TEST(TokenRequirements, AMissingRoleNamesThePortalPath) {
  const auto verdict =
      check_token_claims(app_token("https://outlook.office365.com", {"IMAP.AccessAsApp"}),
                         needs(MailApi::Smtp, true), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_NE(verdict.mismatch->message().find("lack SMTP.SendAsApp"), std::string::npos)
      << verdict.mismatch->message();
  EXPECT_NE(verdict.mismatch->remedy().find("Office 365 Exchange Online > Application "
                                            "permissions > SMTP.SendAsApp"),
            std::string::npos);
  EXPECT_NE(verdict.mismatch->remedy().find("New-ServicePrincipal"), std::string::npos);
}

TEST(TokenRequirements, ADelegatedScopeOnAnAppOnlyAccountIsScpVersusRoles) {
  oauth2::JwtClaims claims = app_token("https://outlook.office.com", {});
  claims.scopes = {"SMTP.Send"};
  const auto verdict = check_token_claims(claims, needs(MailApi::Smtp, true), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_NE(verdict.mismatch->message().find("carries SMTP.Send as a delegated scope (scp)"),
            std::string::npos)
      << verdict.mismatch->message();
  EXPECT_NE(verdict.mismatch->message().find("needs SMTP.SendAsApp as an application role"),
            std::string::npos);
}

TEST(TokenRequirements, DelegatedImapNeedsAccessAsUserAll) {
  oauth2::JwtClaims claims = app_token("https://outlook.office.com", {});
  claims.scopes = {"IMAP.AccessAsUser.All", "SMTP.Send"};
  claims.user = "printer@contoso.com";
  claims.user_claim = "upn";
  EXPECT_FALSE(check_token_claims(claims, needs(MailApi::Imap, false), kNow).mismatch);
  claims.scopes = {"SMTP.Send"};
  const auto verdict = check_token_claims(claims, needs(MailApi::Imap, false), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_NE(verdict.mismatch->remedy().find("Delegated permissions > IMAP.AccessAsUser.All"),
            std::string::npos);
  EXPECT_NE(verdict.mismatch->remedy().find("mailoauth token login"), std::string::npos);
}

TEST(TokenRequirements, AnotherTenantIsNamed) {
  oauth2::JwtClaims claims = app_token("https://outlook.office365.com", {"SMTP.SendAsApp"});
  claims.tenant_id = "00000000-0000-0000-0000-000000000001";
  const auto verdict = check_token_claims(claims, needs(MailApi::Smtp, true), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_NE(
      verdict.mismatch->message().find("issued by tenant 00000000-0000-0000-0000-000000000001"),
      std::string::npos);
  // A tenant given as a domain cannot be compared with tid: not a fault.
  TokenNeeds by_domain = needs(MailApi::Smtp, true);
  by_domain.tenant = "contoso.com";
  EXPECT_FALSE(check_token_claims(claims, by_domain, kNow).mismatch);
}

TEST(TokenRequirements, AnExpiredTokenIsNamed) {
  oauth2::JwtClaims claims = app_token("https://outlook.office365.com", {"SMTP.SendAsApp"});
  claims.expires_at = kNow - hours(1);
  const auto verdict = check_token_claims(claims, needs(MailApi::Smtp, true), kNow);
  ASSERT_TRUE(verdict.mismatch);
  EXPECT_NE(verdict.mismatch->message().find("the token expired at"), std::string::npos);
}

TEST(TokenRequirements, OpaqueAndEncryptedTokensCannotBeChecked) {
  oauth2::JwtClaims opaque;
  const auto verdict = check_token_claims(opaque, needs(MailApi::Smtp, true), kNow);
  EXPECT_FALSE(verdict.mismatch);
  ASSERT_EQ(verdict.found.size(), 1u);
  EXPECT_NE(verdict.found[0].find("opaque (not a JWT): its claims cannot be checked"),
            std::string::npos);
  oauth2::JwtClaims encrypted;
  encrypted.kind = oauth2::TokenKind::Encrypted;
  EXPECT_NE(check_token_claims(encrypted, needs(MailApi::Imap, false), kNow)
                .found[0]
                .find("encrypted (JWE)"),
            std::string::npos);
}

TEST(TokenRequirements, OtherProvidersGetOnlyTheExpiryChecked) {
  oauth2::JwtClaims claims = app_token("mail", {});
  TokenNeeds generic = needs(MailApi::Smtp, true);
  generic.provider = oauth2::ProviderKind::Generic;
  const auto verdict = check_token_claims(claims, generic, kNow);
  EXPECT_FALSE(verdict.mismatch);
  EXPECT_EQ(verdict.found.back(),
            "audience and permissions are this identity server's own: not checked");
}

TEST(TokenRequirements, ADelegatedTokenForAnotherUserIsAWarning) {
  oauth2::JwtClaims claims = app_token("https://outlook.office.com", {});
  claims.scopes = {"SMTP.Send"};
  claims.user = "alice@contoso.com";
  const auto verdict = check_token_claims(claims, needs(MailApi::Smtp, false), kNow);
  EXPECT_FALSE(verdict.mismatch);
  ASSERT_EQ(verdict.warnings.size(), 1u);
  EXPECT_NE(verdict.warnings[0].find("Add-MailboxPermission -Identity printer@contoso.com -User "
                                     "alice@contoso.com -AccessRights FullAccess"),
            std::string::npos);
}

TEST(TokenRequirements, NeededPermissions) {
  EXPECT_EQ(needed_permission(MailApi::Smtp, false), "SMTP.Send");
  EXPECT_EQ(needed_permission(MailApi::Smtp, true), "SMTP.SendAsApp");
  EXPECT_EQ(needed_permission(MailApi::Imap, false), "IMAP.AccessAsUser.All");
  EXPECT_EQ(needed_permission(MailApi::Imap, true), "IMAP.AccessAsApp");
  EXPECT_EQ(needed_permission(MailApi::Graph, true), "Mail.Send");
}

}  // namespace
}  // namespace mailoauth::doctor
