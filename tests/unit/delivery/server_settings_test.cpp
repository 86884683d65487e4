// The one server rule (server_settings.hpp): given > the account's key > the
// provider's (port and TLS only with the provider's host) > the protocol's
// defaults. The cases the three former copies disagreed on are here: an
// account without imap_server gets the provider's IMAP server (the oauth2
// plugin refused it), and an account's imap_server without a port gets 993.
#include "mailoauth/delivery/server_settings.hpp"

#include <gtest/gtest.h>

namespace mailoauth::delivery {
namespace {

oauth2::Account account_of(oauth2::ProviderKind provider) {
  oauth2::Account account;
  account.name = "work";
  account.provider = provider;
  return account;
}

ServerSettings resolve(MailProtocol protocol, const oauth2::Account* account,
                       const ServerOverrides& overrides = {}) {
  auto settings = server_settings(protocol, account, overrides);
  EXPECT_TRUE(settings) << (settings ? "" : settings.error().describe());
  return settings ? *settings : ServerSettings{};
}

TEST(ServerSettings, MicrosoftAccountGetsTheProvidersServers) {
  const auto account = account_of(oauth2::ProviderKind::Microsoft);
  const auto smtp = resolve(MailProtocol::Smtp, &account);
  EXPECT_EQ(smtp.host, "smtp.office365.com");
  EXPECT_EQ(smtp.port, 587);
  EXPECT_EQ(smtp.tls, TlsMode::StartTls);
  EXPECT_EQ(smtp.host_origin, SettingOrigin::Provider);
  const auto imap = resolve(MailProtocol::Imap, &account);
  EXPECT_EQ(imap.host, "outlook.office365.com");
  EXPECT_EQ(imap.port, 993);
  EXPECT_EQ(imap.tls, TlsMode::Implicit);
}

TEST(ServerSettings, GoogleSmtpIsImplicitTlsOn465) {
  const auto account = account_of(oauth2::ProviderKind::Google);
  const auto smtp = resolve(MailProtocol::Smtp, &account);
  EXPECT_EQ(smtp.host, "smtp.gmail.com");
  EXPECT_EQ(smtp.port, 465);
  EXPECT_EQ(smtp.tls, TlsMode::Implicit);
}

TEST(ServerSettings, TheAccountsKeysBeatTheProvider) {
  auto account = account_of(oauth2::ProviderKind::Microsoft);
  account.smtp_server = "relay.example.com";
  account.smtp_port = 2525;
  account.smtp_tls = "none";
  account.ca_file = "/etc/ca.pem";
  const auto smtp = resolve(MailProtocol::Smtp, &account);
  EXPECT_EQ(smtp.host, "relay.example.com");
  EXPECT_EQ(smtp.port, 2525);
  EXPECT_EQ(smtp.tls, TlsMode::None);
  EXPECT_EQ(smtp.ca_file, "/etc/ca.pem");
  EXPECT_EQ(smtp.host_origin, SettingOrigin::Account);
}

TEST(ServerSettings, WhatIsGivenBeatsTheAccount) {
  auto account = account_of(oauth2::ProviderKind::Microsoft);
  account.smtp_server = "relay.example.com";
  account.smtp_port = 2525;
  account.smtp_tls = "none";
  account.ca_file = "/etc/ca.pem";
  ServerOverrides given{"smtp.example.net", 465, TlsMode::Implicit, "/tmp/other.pem"};
  const auto smtp = resolve(MailProtocol::Smtp, &account, given);
  EXPECT_EQ(smtp.host, "smtp.example.net");
  EXPECT_EQ(smtp.port, 465);
  EXPECT_EQ(smtp.tls, TlsMode::Implicit);
  EXPECT_EQ(smtp.ca_file, "/tmp/other.pem");
  EXPECT_EQ(smtp.host_origin, SettingOrigin::Given);
}

TEST(ServerSettings, TheProvidersPortGoesOnlyWithTheProvidersHost) {
  // A Google account sending through another server: not 465 because Gmail uses it.
  const auto account = account_of(oauth2::ProviderKind::Google);
  const auto smtp = resolve(MailProtocol::Smtp, &account, {"mail.example.org", 0, {}, {}});
  EXPECT_EQ(smtp.port, 587);
  EXPECT_EQ(smtp.tls, TlsMode::StartTls);
}

TEST(ServerSettings, TlsModeFollowsThePortAndThePortTheTlsMode) {
  const auto account = account_of(oauth2::ProviderKind::Generic);
  EXPECT_EQ(resolve(MailProtocol::Smtp, &account, {"h", 465, {}, {}}).tls, TlsMode::Implicit);
  EXPECT_EQ(resolve(MailProtocol::Smtp, &account, {"h", 25, {}, {}}).tls, TlsMode::StartTls);
  EXPECT_EQ(resolve(MailProtocol::Smtp, &account, {"h", 2525, {}, {}}).tls, TlsMode::StartTls);
  EXPECT_EQ(resolve(MailProtocol::Smtp, &account, {"h", 0, TlsMode::Implicit, {}}).port, 465);
  EXPECT_EQ(resolve(MailProtocol::Smtp, &account, {"h", 0, {}, {}}).port, 587);
  EXPECT_EQ(resolve(MailProtocol::Imap, &account, {"h", 143, {}, {}}).tls, TlsMode::StartTls);
  EXPECT_EQ(resolve(MailProtocol::Imap, &account, {"h", 10993, {}, {}}).tls, TlsMode::Implicit);
  EXPECT_EQ(resolve(MailProtocol::Imap, &account, {"h", 0, TlsMode::StartTls, {}}).port, 143);
  EXPECT_EQ(resolve(MailProtocol::Imap, &account, {"h", 0, {}, {}}).port, 993);
}

TEST(ServerSettings, AnAccountWithoutImapServerGetsTheProvidersOne) {
  // check_imap_mailbox_oauth2 -account refused this account before.
  const auto account = account_of(oauth2::ProviderKind::Microsoft);
  EXPECT_EQ(resolve(MailProtocol::Imap, &account).host, "outlook.office365.com");
}

TEST(ServerSettings, AnAccountsImapServerWithoutPortIs993Implicit) {
  auto account = account_of(oauth2::ProviderKind::Generic);
  account.imap_server = "imap.example.com";
  const auto imap = resolve(MailProtocol::Imap, &account);
  EXPECT_EQ(imap.port, 993);
  EXPECT_EQ(imap.tls, TlsMode::Implicit);
  account.imap_tls = "starttls";
  EXPECT_EQ(resolve(MailProtocol::Imap, &account).port, 143);
}

TEST(ServerSettings, NoServerAnywhereIsAConfigErrorAboutTheAccountNotAFlag) {
  const auto account = account_of(oauth2::ProviderKind::Generic);
  auto settings = server_settings(MailProtocol::Smtp, &account, {});
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(settings.error().code(), "delivery.no_server");
  EXPECT_NE(settings.error().message().find("account work has no SMTP server"), std::string::npos);
  EXPECT_NE(settings.error().remedy().find("smtp_server"), std::string::npos);
  EXPECT_EQ(settings.error().describe().find("--"), std::string::npos);
  EXPECT_EQ(server_settings(MailProtocol::Imap, nullptr, {}).error().code(), "delivery.no_server");
}

TEST(ServerSettings, WithoutAnAccountOnlyWhatIsGivenCounts) {
  const auto smtp = resolve(MailProtocol::Smtp, nullptr, {"127.0.0.1", 1025, {}, {}});
  EXPECT_EQ(smtp.host, "127.0.0.1");
  EXPECT_EQ(smtp.port, 1025);
  EXPECT_EQ(smtp.tls, TlsMode::StartTls);
  EXPECT_EQ(smtp.ca_file, "");
}

TEST(ServerSettings, ImapWithoutTlsIsRefused) {
  auto account = account_of(oauth2::ProviderKind::Microsoft);
  account.imap_tls = "none";
  auto settings = server_settings(MailProtocol::Imap, &account, {});
  ASSERT_FALSE(settings);
  EXPECT_EQ(settings.error().code(), "delivery.imap_without_tls");
}

TEST(ServerSettings, AnAccountsBadTlsWordNamesTheKey) {
  auto account = account_of(oauth2::ProviderKind::Microsoft);
  account.smtp_tls = "sometimes";
  auto settings = server_settings(MailProtocol::Smtp, &account, {});
  ASSERT_FALSE(settings);
  EXPECT_NE(settings.error().message().find("smtp_tls"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::delivery
