// Which account sends: the named one, else the sender's mailbox
// (case-insensitively), else default_account, else the only one; and errors
// that speak of the configuration, not of a command's flags.
#include "mailoauth/delivery/account_choice.hpp"

#include <gtest/gtest.h>

namespace mailoauth::delivery {
namespace {

oauth2::AccountsConfig config_of(std::initializer_list<std::pair<const char*, const char*>> list) {
  oauth2::AccountsConfig config;
  config.path = "/home/u/.config/mailoauth/config.toml";
  config.file_exists = true;
  for (const auto& [name, mailbox] : list) {
    oauth2::Account account;
    account.name = name;
    account.mailbox = mailbox;
    config.accounts.push_back(std::move(account));
  }
  return config;
}

TEST(AccountChoice, TheNamedAccountWins) {
  auto config = config_of({{"work", "me@work.example"}, {"home", "me@home.example"}});
  config.default_account = "home";
  EXPECT_EQ(choose_account(config, "work", "me@home.example").value()->name, "work");
}

TEST(AccountChoice, AnUnknownNameIsAConfigError) {
  auto config = config_of({{"work", "me@work.example"}});
  auto chosen = choose_account(config, "nosuch", "");
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().error_class(), core::ErrorClass::Config);
}

TEST(AccountChoice, TheSendersMailboxCaseInsensitivelyBeatsTheDefault) {
  auto config = config_of({{"work", "me@work.example"}, {"home", "me@home.example"}});
  config.default_account = "work";
  EXPECT_EQ(choose_account(config, "", "ME@Home.Example").value()->name, "home");
  EXPECT_EQ(choose_account(config, "", "other@x.example").value()->name, "work");
}

TEST(AccountChoice, TheOnlyAccountWhenNothingElseDecides) {
  auto config = config_of({{"only", "me@x.example"}});
  EXPECT_EQ(choose_account(config, "", "").value()->name, "only");
}

TEST(AccountChoice, NothingDecidesNamesTheFileAndNoFlag) {
  auto config = config_of({{"work", "me@work.example"}, {"home", "me@home.example"}});
  auto chosen = choose_account(config, "", "other@x.example");
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code(), kNoAccount);
  EXPECT_NE(chosen.error().message().find("config.toml"), std::string::npos);
  EXPECT_NE(chosen.error().remedy().find("default_account"), std::string::npos);
  EXPECT_EQ(chosen.error().describe().find("--"), std::string::npos);
  auto empty = config_of({});
  EXPECT_EQ(choose_account(empty, "", "").error().code(), kNoAccount);
}

}  // namespace
}  // namespace mailoauth::delivery
