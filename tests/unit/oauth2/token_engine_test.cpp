// The engine's decisions, seen on the wire of a local peer: a valid stored
// token costs no request; a delegated account without a token is a Config
// error naming `token login`, with no request; an expired token is refreshed
// with the stored refresh token and the account's scopes, and the rotated
// refresh token is kept; during a secret rotation a current secret refused
// with invalid_client falls back to the previous one; secrets kept in the
// store are used when the configuration names none. The same against the real
// server: tests/cli/mailoauth/.
#include "mailoauth/oauth2/token_engine.hpp"

#include <gtest/gtest.h>

#include "local_http_peer.hpp"

namespace mailoauth::oauth2 {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string http_answer(int status, const std::string& body) {
  return fmt::format(
      "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, body.size(), body);
}
const std::string kToken =
    R"({"access_token":"AT-new","token_type":"Bearer","expires_in":3600,"refresh_token":"RT-2"})";
const std::string kInvalidClient =
    R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret","error_codes":[7000215]})";

class NoSleep final : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds) override {}
};

class TokenEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-engine-XXXXXX").string();
    directory_ = mkdtemp(pattern.data());
    auto key = make_store_key(core::Secret(std::string(32, 'e')), "test");
    auto opened = TokenStore::open(directory_ / "tokens.db", std::move(*key), clock_);
    ASSERT_TRUE(opened.has_value()) << opened.error().describe();
    store_.emplace(std::move(*opened));
    engine_.emplace(*store_, http_, RetryPolicy{1, 1ms, 1ms}, sleeper_, clock_);
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    fs::remove_all(directory_);
  }
  Account account(Flow flow, const std::string& token_url) {
    Account account;
    account.name = "acct";
    account.provider = ProviderKind::Generic;
    account.flow = flow;
    account.client_id = "client";
    account.scopes = {"mail", "offline_access"};
    account.endpoints.token_url = token_url;
    account.mailbox = "alice@example.test";
    account.location = "config.toml:1";
    return account;
  }
  SecretSource inline_secret(const char* value, const char* slot) {
    SecretSource source;
    source.kind = SecretSource::Kind::Inline;
    source.value = core::Secret(value);
    source.slot = slot;
    source.where = "config.toml:2";
    return source;
  }

  fs::path directory_;
  core::ManualClock clock_{core::Clock::WallTime{std::chrono::seconds{1'800'000'000}}};
  HttpClient http_;
  NoSleep sleeper_;
  std::optional<TokenStore> store_;
  std::optional<TokenEngine> engine_;
};

TEST_F(TokenEngineTest, ValidStoredTokenCostsNoRequest) {
  StoredTokens stored;
  stored.access_token = core::Secret("AT-cached");
  stored.access_expires_at = clock_.now() + 1h;
  ASSERT_TRUE(store_->save("acct", stored).has_value());
  // A token URL nobody listens on: any request would fail the test.
  auto token = engine_->access_token(account(Flow::Delegated, "http://127.0.0.1:9/token"));
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(token->access_token.reveal(), "AT-cached");
}

TEST_F(TokenEngineTest, DelegatedAccountWithoutTokenNamesTheLogin) {
  auto token = engine_->access_token(account(Flow::Delegated, "http://127.0.0.1:9/token"));
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "token.login_required");
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(token.error().remedy().find("mailoauth token login acct"), std::string::npos);
}

TEST_F(TokenEngineTest, ExpiredTokenIsRefreshedAndTheRotatedRefreshTokenKept) {
  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer, http_answer(200, kToken));
  StoredTokens stored;
  stored.access_token = core::Secret("AT-old");
  stored.access_expires_at = clock_.now() + 2min;  // inside the 5-minute margin
  stored.refresh_token = core::Secret("RT-1");
  stored.scopes = "mail";  // as granted: reused on refresh, not the configured list
  ASSERT_TRUE(store_->save("acct", stored).has_value());
  auto token = engine_->access_token(account(Flow::Delegated, peer.url()));
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(token->access_token.reveal(), "AT-new");
  EXPECT_NE(peer.received().find("grant_type=refresh_token&refresh_token=RT-1&scope=mail&"
                                 "client_id=client"),
            std::string::npos)
      << peer.received();
  auto reloaded = store_->load("acct");
  ASSERT_TRUE(reloaded.has_value() && reloaded->has_value());
  EXPECT_EQ((*reloaded)->refresh_token.reveal(), "RT-2");
  EXPECT_EQ((*reloaded)->scopes, "mail");
}

TEST_F(TokenEngineTest, RefusedCurrentSecretFallsBackToThePreviousOne) {
  testing::LocalHttpPeer peer(
      testing::LocalHttpPeer::Mode::Answer,
      std::vector<std::string>{http_answer(401, kInvalidClient), http_answer(200, kToken)});
  Account app = account(Flow::App, peer.url());
  app.secrets.push_back(inline_secret("new-wrong", "current"));
  app.secrets.push_back(inline_secret("old-right", "previous"));
  auto token = engine_->access_token(app);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(peer.answered(), 2);
  EXPECT_NE(peer.received().find("client_secret=new-wrong"), std::string::npos);
  EXPECT_NE(peer.received().find("client_secret=old-right"), std::string::npos);
}

TEST_F(TokenEngineTest, BothSecretsRefusedReportsTheCurrentOnesRefusal) {
  testing::LocalHttpPeer peer(
      testing::LocalHttpPeer::Mode::Answer,
      std::vector<std::string>{http_answer(401, kInvalidClient), http_answer(401, kInvalidClient)});
  Account app = account(Flow::App, peer.url());
  app.secrets.push_back(inline_secret("a", "current"));
  app.secrets.push_back(inline_secret("b", "previous"));
  auto token = engine_->access_token(app);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.invalid_client");
  EXPECT_EQ(token.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_EQ(peer.answered(), 2);
  auto noted = store_->load("acct");
  EXPECT_TRUE(noted.has_value() && !noted->has_value()) << "a failure stores no tokens";
}

TEST_F(TokenEngineTest, AppAccountWithoutAnySecretSaysWhereToPutOne) {
  auto token = engine_->access_token(account(Flow::App, "http://127.0.0.1:9/token"));
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "token.no_client_secret");
  EXPECT_NE(token.error().remedy().find("mailoauth account secret acct"), std::string::npos);
}

TEST_F(TokenEngineTest, StoreSecretsAreUsedAndRotateCurrentToPrevious) {
  ASSERT_TRUE(store_->rotate_client_secret("acct", core::Secret("first"), std::nullopt));
  ASSERT_TRUE(
      store_->rotate_client_secret("acct", core::Secret("second"), clock_.now() + 24h * 365));
  auto stored = store_->client_secrets("acct");
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].slot, "current");
  EXPECT_EQ((*stored)[0].value.reveal(), "second");
  EXPECT_EQ((*stored)[1].slot, "previous");
  EXPECT_EQ((*stored)[1].value.reveal(), "first");

  testing::LocalHttpPeer peer(testing::LocalHttpPeer::Mode::Answer, http_answer(200, kToken));
  auto token = engine_->access_token(account(Flow::App, peer.url()));
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_NE(peer.received().find("client_secret=second"), std::string::npos);

  ASSERT_TRUE(store_->remove_client_secrets("acct").value());
  EXPECT_TRUE(store_->client_secrets("acct")->empty());
}

TEST_F(TokenEngineTest, SignInIsStoredWithTheAccountsScopesWhenTheServerSaysNone) {
  TokenResponse response;
  response.access_token = core::Secret("AT");
  response.refresh_token = core::Secret("RT");
  response.expires_in = 3600s;
  auto saved = engine_->store_sign_in(account(Flow::Delegated, "http://x"), std::move(response),
                                      clock_.now());
  ASSERT_TRUE(saved.has_value());
  auto loaded = store_->load("acct");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ((*loaded)->scopes, "mail offline_access");
  EXPECT_EQ((*loaded)->refresh_token.reveal(), "RT");
  EXPECT_EQ(*(*loaded)->access_expires_at, clock_.now() + 3600s);
}

}  // namespace
}  // namespace mailoauth::oauth2
