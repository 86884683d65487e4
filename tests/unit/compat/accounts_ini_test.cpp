// accounts.ini as check-mail v0.8.20 reads it (internal/config/file.go
// parseConfigFile: shared keys from [DEFAULT] only, account keys per section,
// lists split on "," and trimmed of `" `; validate.go for required values;
// getters.go AccountNames for the final line), plus mailoauth's file:line
// errors and warnings.
#include "mailoauth/compat/accounts_ini.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

constexpr std::string_view kBasic =
    "[DEFAULT]\n"
    "auth_type = basic\n"
    "server_name = imap.example.com\n"
    "server_port = 993\n"
    "\n"
    "[email1]\n"
    "username = email1@example.com\n"
    "password = `keeping#On;KeepingON`\n"
    "folders = \"Inbox\", \"Junk EMail\", \"Trash\", \"INBOX/Current Reporting\"\n"
    "\n"
    "[email2]\n"
    "username = email2@example.com\n"
    "password = tired\n"
    "folders = \"Inbox\", \"Junk EMail\"\n";

constexpr std::string_view kOAuth2 =
    "[DEFAULT]\n"
    "auth_type = oauth2\n"
    "server_name = outlook.office365.com\n"
    "server_port = 993\n"
    "client_id = 0a1b2c3d\n"
    "client_secret = `s3cr#t`\n"
    "scopes = \"https://outlook.office365.com/.default\", \"offline_access\"\n"
    "endpoint_token_url = \"https://login.microsoftonline.com/contoso/oauth2/v2.0/token\"\n"
    "\n"
    "[team]\n"
    "shared_mailbox = team@example.com\n"
    "folders = Inbox\n";

AccountsIni read(std::string_view text) {
  auto result = read_accounts_ini(text, "accounts.ini");
  EXPECT_TRUE(result) << (result ? "" : result.error().message());
  return result ? std::move(*result) : AccountsIni{};
}

std::string error(std::string_view text) {
  auto result = read_accounts_ini(text, "accounts.ini");
  EXPECT_FALSE(result) << text;
  return result ? "" : result.error().message();
}

TEST(AccountsIniTest, BasicAccounts) {
  const AccountsIni ini = read(kBasic);
  ASSERT_EQ(ini.accounts.size(), 2u);
  const CheckMailAccount& first = ini.accounts[0];
  EXPECT_EQ(first.name, "email1");
  EXPECT_EQ(first.auth_type, "basic");
  EXPECT_EQ(first.server, "imap.example.com");
  EXPECT_EQ(first.port, 993);
  EXPECT_EQ(first.username, "email1@example.com");
  EXPECT_EQ(first.password.reveal(), "keeping#On;KeepingON");
  EXPECT_EQ(first.folders,
            (std::vector<std::string>{"Inbox", "Junk EMail", "Trash", "INBOX/Current Reporting"}));
  EXPECT_EQ(first.line, 6);
  EXPECT_EQ(first.mailbox(), "email1@example.com");
  EXPECT_TRUE(ini.warnings.empty());
  EXPECT_EQ(accounts_report_summary(ini.accounts),
            "OK: Successfully generated reports for accounts: email1, email2");
}

TEST(AccountsIniTest, OAuth2Accounts) {
  const AccountsIni ini = read(kOAuth2);
  ASSERT_EQ(ini.accounts.size(), 1u);
  const CheckMailAccount& team = ini.accounts[0];
  EXPECT_EQ(team.auth_type, "oauth2");
  EXPECT_EQ(team.client_id, "0a1b2c3d");
  EXPECT_EQ(team.client_secret.reveal(), "s3cr#t");
  EXPECT_EQ(team.scopes,
            (std::vector<std::string>{"https://outlook.office365.com/.default", "offline_access"}));
  EXPECT_EQ(team.token_url, "https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
  EXPECT_EQ(team.shared_mailbox, "team@example.com");
  EXPECT_EQ(team.mailbox(), "team@example.com");
  EXPECT_EQ(team.summary_name(), "team");
}

// The final line names the mailboxes' local parts, not the sections.
TEST(AccountsIniTest, SummaryUsesTheMailboxNotTheSection) {
  std::string text(kBasic);
  text.replace(text.find("[email2]"), 8, "[second]");
  const AccountsIni ini = read(text);
  EXPECT_EQ(ini.accounts[1].name, "second");
  EXPECT_EQ(accounts_report_summary(ini.accounts),
            "OK: Successfully generated reports for accounts: email1, email2");
}

TEST(AccountsIniTest, LowerCaseDefaultSectionIsSkipped) {
  const AccountsIni ini = read(std::string(kBasic) + "[default]\nfoo = bar\n[Default]\n");
  EXPECT_EQ(ini.accounts.size(), 2u);
}

TEST(AccountsIniTest, ChildSectionsInheritFromParents) {
  const AccountsIni ini = read(std::string(kBasic) + "[email2.archive]\nfolders = Archive\n");
  ASSERT_EQ(ini.accounts.size(), 3u);
  EXPECT_EQ(ini.accounts[2].username, "email2@example.com");
  EXPECT_EQ(ini.accounts[2].folders, std::vector<std::string>{"Archive"});
}

TEST(AccountsIniTest, WarningsForIgnoredKeysAndCutValues) {
  const AccountsIni ini = read(
      "[DEFAULT]\nauth_type = basic\nserver_name = imap.example.com\nserver_port = 993\n"
      "[a]\nserver_name = other.example.com\nusername = a@example.com\npassword = \"x#y\"\n"
      "folders = Inbox\n");
  ASSERT_EQ(ini.accounts.size(), 1u);
  EXPECT_EQ(ini.accounts[0].server, "imap.example.com");
  EXPECT_EQ(ini.accounts[0].password.reveal(), "\"x");
  ASSERT_EQ(ini.warnings.size(), 2u);
  EXPECT_EQ(
      ini.warnings[0],
      "accounts.ini:6: server_name in [a] is ignored: check-mail reads it from [DEFAULT] only");
  EXPECT_TRUE(
      ini.warnings[1].starts_with("accounts.ini:8: the value of password was cut at a # or ;"))
      << ini.warnings[1];
  EXPECT_EQ(ini.warnings[1].find("\"x"), std::string::npos);  // never the secret itself
}

TEST(AccountsIniTest, RequiredKeysWithFileAndLine) {
  EXPECT_EQ(error("[DEFAULT]\nserver_name = x\nserver_port = 993\n"),
            "accounts.ini: section [DEFAULT] needs auth_type (basic or oauth2)");
  EXPECT_EQ(
      error("[DEFAULT]\nauth_type = Basic\n"),
      "accounts.ini:2: auth_type: \"Basic\" is not basic or oauth2 (lower case, as check-mail)");
  EXPECT_EQ(error("[DEFAULT]\nauth_type = basic\nserver_name = x\nserver_port = 99999\n"),
            "accounts.ini:4: server_port: \"99999\" is not a port number (1-65535)");
  EXPECT_EQ(error("[DEFAULT]\nauth_type = basic\nserver_name = x\nserver_port = 993\n[a]\n"
                  "username = u\npassword = p\n"),
            "accounts.ini:5: section [a] needs folders (e.g. folders = \"Inbox\", \"Junk EMail\")");
  EXPECT_EQ(error("[DEFAULT]\nauth_type = basic\nserver_name = x\nserver_port = 993\n[a]\n"
                  "folders = Inbox\nusername = u\npassword =\n"),
            "accounts.ini:8: password: is empty");
  EXPECT_EQ(error("[DEFAULT]\nauth_type = basic\nserver_name = x\nserver_port = 993\n[a]\n"
                  "folders = Inbox, , Junk\nusername = u\npassword = p\n"),
            "accounts.ini:6: folders: contains an empty folder name");
  EXPECT_EQ(error("[DEFAULT]\nauth_type = oauth2\nserver_name = x\nserver_port = 993\n"),
            "accounts.ini: section [DEFAULT] needs client_id (the application (client) id)");
  std::string no_mailbox(kOAuth2);
  no_mailbox.replace(no_mailbox.find("shared_mailbox"), 14, "mailbox");
  EXPECT_EQ(error(no_mailbox),
            "accounts.ini:10: section [team] needs shared_mailbox (the mailbox to open)");
}

TEST(AccountsIniTest, SectionNamesThatCannotBeFileNames) {
  EXPECT_NE(error(std::string(kBasic) + "[../etc]\nfolders = Inbox\n").find("cannot contain '/'"),
            std::string::npos);
}

TEST(AccountsIniTest, SyntaxErrorsPassThrough) {
  auto result = read_accounts_ini("[DEFAULT\n", "accounts.ini");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), "ini.syntax");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Config);
}

}  // namespace
}  // namespace mailoauth::compat
