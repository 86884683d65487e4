// The export file: everything comes back after a round trip (tokens, times,
// both client secrets); a wrong passphrase, a flipped byte, a changed key
// parameter, a truncated or foreign file all import nothing and say why; a
// short passphrase is refused; no token appears in the file in clear.
#include "mailoauth/oauth2/token_export.hpp"

#include <gtest/gtest.h>

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;

std::vector<ExportedAccount> sample() {
  ExportedAccount account;
  account.name = "work";
  account.tokens.access_token = core::Secret("AT-secret-value");
  account.tokens.token_type = "Bearer";
  account.tokens.refresh_token = core::Secret("RT-secret-value");
  account.tokens.access_expires_at = core::Clock::WallTime(std::chrono::seconds(1'800'000'000));
  account.tokens.scopes = "mail offline_access";
  StoredClientSecret secret;
  secret.slot = "current";
  secret.value = core::Secret("client-secret-value");
  secret.expires_at = core::Clock::WallTime(std::chrono::seconds(1'900'000'000));
  account.client_secrets.push_back(std::move(secret));
  std::vector<ExportedAccount> accounts;
  accounts.push_back(std::move(account));
  ExportedAccount empty;
  empty.name = "other";
  accounts.push_back(std::move(empty));
  return accounts;
}

const core::Secret kPassphrase("correct horse battery");

TEST(TokenExportTest, RoundTripKeepsEverything) {
  auto text = seal_export(sample(), kPassphrase);
  ASSERT_TRUE(text.has_value()) << text.error().describe();
  EXPECT_TRUE(text->starts_with("mailoauth token export v1\nargon2id ops="));
  for (const char* secret : {"AT-secret-value", "RT-secret-value", "client-secret-value", "work"}) {
    EXPECT_EQ(text->find(secret), std::string::npos) << secret << " in clear";
  }
  auto accounts = open_export(*text, kPassphrase);
  ASSERT_TRUE(accounts.has_value()) << accounts.error().describe();
  ASSERT_EQ(accounts->size(), 2u);
  const ExportedAccount& work = (*accounts)[0];
  EXPECT_EQ(work.name, "work");
  EXPECT_EQ(work.tokens.access_token.reveal(), "AT-secret-value");
  EXPECT_EQ(work.tokens.refresh_token.reveal(), "RT-secret-value");
  EXPECT_EQ(work.tokens.scopes, "mail offline_access");
  EXPECT_EQ(*work.tokens.access_expires_at,
            core::Clock::WallTime(std::chrono::seconds(1'800'000'000)));
  EXPECT_FALSE(work.tokens.refresh_obtained_at.has_value());
  ASSERT_EQ(work.client_secrets.size(), 1u);
  EXPECT_EQ(work.client_secrets[0].value.reveal(), "client-secret-value");
  EXPECT_EQ(work.client_secrets[0].slot, "current");
  EXPECT_EQ((*accounts)[1].name, "other");
}

TEST(TokenExportTest, NothingImportsWithAWrongPassphraseOrAChangedFile) {
  const std::string text = seal_export(sample(), kPassphrase).value();
  auto wrong = open_export(text, core::Secret("incorrect horse"));
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), "export.wrong_passphrase");

  std::string flipped = text;
  flipped[flipped.size() - 10] = flipped[flipped.size() - 10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(open_export(flipped, kPassphrase).error().code(), "export.wrong_passphrase");

  std::string weaker = text;  // an attacker lowering the work factor
  const auto ops = weaker.find("ops=");
  weaker[ops + 4] = weaker[ops + 4] == '3' ? '4' : '3';
  EXPECT_FALSE(open_export(weaker, kPassphrase).has_value());

  for (std::string_view bad : {std::string_view(), std::string_view("hello\n"),
                               std::string_view("mailoauth token export v1\n"),
                               std::string_view("mailoauth token export v1\nargon2id ops=99 "
                                                "mem=1 salt=AAAA\nAAAA\n")}) {
    auto opened = open_export(bad, kPassphrase);
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error().code(), "export.unreadable");
  }
  EXPECT_EQ(open_export(text.substr(0, text.size() / 2), kPassphrase).error().error_class(),
            core::ErrorClass::Config);
}

TEST(TokenExportTest, ShortPassphraseIsRefused) {
  auto text = seal_export(sample(), core::Secret("short"));
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code(), "export.short_passphrase");
}

}  // namespace
}  // namespace mailoauth::oauth2
