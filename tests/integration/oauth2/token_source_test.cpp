// The asynchronous token source against the real oidc-provider of the stack
// (grants counted in its own log, so these tests run serially), plus a tiny
// identity server written here that answers slowly, for what no real server
// does on demand. What is proved: twenty concurrent awaiters cause one grant;
// a cached token is answered without a worker; a caller's deadline is kept
// while the renewal goes on and fills the cache; a slow identity server does
// not hold back another account; forced renewals coalesce; prefetch renews
// ahead with nobody waiting; the coroutine form
// of renew_once asks the source for a renewed token; a cancelled awaiter is
// harmless; shutdown fails pending awaiters. Every wait is bounded.
#include "mailoauth/oauth2/token_source.hpp"

#include <atomic>
#include <fstream>
#include <thread>

#include <arpa/inet.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailoauth/oauth2/renew_once_async.hpp"

#include "../stack_env.hpp"

namespace mailoauth::oauth2 {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace asio::experimental::awaitable_operators;
using testing::StackEnv;

// An identity server that waits `delay` before answering each token request
// with "slow-token-N" (valid an hour). Connections are served one at a time
// on its own thread; every wait polls a stop flag, so the destructor returns
// within 100 ms plus one answer.
class SlowTokenServer {
 public:
  explicit SlowTokenServer(std::chrono::milliseconds delay) : delay_(delay) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  SlowTokenServer(const SlowTokenServer&) = delete;
  SlowTokenServer& operator=(const SlowTokenServer&) = delete;
  ~SlowTokenServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/token", port_); }
  int requests() const { return requests_; }
  int answered() const { return answered_; }

 private:
  bool wait_readable(int fd) {
    while (!stop_) {
      pollfd polled{fd, POLLIN, 0};
      if (::poll(&polled, 1, 100) > 0) return true;
    }
    return false;
  }
  void serve() {
    while (wait_readable(listener_)) {
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) continue;
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && wait_readable(connection)) {
        const auto got = ::recv(connection, buffer, sizeof buffer, 0);
        if (got <= 0) break;
        request.append(buffer, static_cast<std::size_t>(got));
      }
      ++requests_;
      for (auto waited = 0ms; waited < delay_ && !stop_; waited += 20ms) {
        std::this_thread::sleep_for(20ms);
      }
      const std::string body = fmt::format(
          R"({{"access_token":"slow-token-{}","token_type":"Bearer","expires_in":3600}})",
          requests_.load());
      const std::string answer = fmt::format(
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
          "Connection: close\r\n\r\n{}",
          body.size(), body);
      (void)::send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
      ++answered_;
      ::close(connection);
    }
  }

  std::chrono::milliseconds delay_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

std::shared_ptr<const Account> app_account(std::string name, std::string token_url,
                                           std::string client_id, std::string secret,
                                           ClientAuthentication authentication) {
  auto account = std::make_shared<Account>();
  account->name = std::move(name);
  account->provider = ProviderKind::Generic;
  account->flow = Flow::App;
  account->client_id = std::move(client_id);
  account->client_authentication = authentication;
  SecretSource source;
  source.kind = SecretSource::Kind::Inline;
  source.value = core::Secret(secret);
  source.slot = "current";
  source.where = "test";
  account->secrets.push_back(std::move(source));
  account->scopes = {StackEnv::get()["MAIL_SCOPE"]};
  account->endpoints.token_url = std::move(token_url);
  account->location = "token_source_test";
  return account;
}

// bob's app-only account at the stack's oidc-provider (client cc-bob).
std::shared_ptr<const Account> bob() {
  const auto& env = StackEnv::get();
  return app_account("bob", env["OIDC_TOKEN_URL"], env["CC_BOB_CLIENT_ID"],
                     env["CC_BOB_CLIENT_SECRET"], ClientAuthentication::SecretBasic);
}

std::shared_ptr<const Account> slow_account(const SlowTokenServer& server) {
  return app_account("slow", server.url(), "slow-client", "slow-secret",
                     ClientAuthentication::SecretPost);
}

// Successful grants for cc-bob so far, as oidc-provider logged them.
int bob_grants() {
  std::ifstream log(StackEnv::get()["OIDC_LOG"]);
  const std::string wanted = "grant.success client=" + StackEnv::get()["CC_BOB_CLIENT_ID"];
  int count = 0;
  for (std::string line; std::getline(log, line);) {
    if (line.size() >= wanted.size() && line.ends_with(wanted)) ++count;
  }
  return count;
}

// Waits (at most `limit`) until `done` holds; says whether it did.
template <typename Predicate>
bool eventually(Predicate done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

TokenSource::Deadline in(std::chrono::milliseconds delay) {
  return std::chrono::steady_clock::now() + delay;
}

class TokenSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-source-XXXXXX").string();
    directory_ = mkdtemp(pattern.data());
  }
  void TearDown() override {
    source_.reset();
    fs::remove_all(directory_);
  }
  // A source whose workers each open the same store file.
  TokenSource& start(std::size_t workers = 2) {
    const fs::path database = directory_ / "tokens.db";
    EngineFactory factory = [database]() -> core::Result<std::unique_ptr<OwnedEngine>> {
      auto key = make_store_key(core::Secret(std::string(32, 's')), "test");
      if (!key) return core::fail(key.error());
      auto store = TokenStore::open(database, std::move(*key));
      if (!store) return core::fail(store.error());
      return std::make_unique<OwnedEngine>(std::move(*store), HttpSettings{}, RetryPolicy{1});
    };
    TokenSourceOptions options;
    options.workers = workers;
    auto started = TokenSource::start(std::move(factory), options);
    if (!started) throw std::runtime_error(started.error().describe());
    source_ = std::move(*started);
    return *source_;
  }
  // Runs the io_context until every coroutine spawned on it has finished
  // (bounded: each token call has a deadline well under this).
  void run() {
    io_.restart();
    io_.run_for(60s);
    ASSERT_TRUE(io_.stopped()) << "the coroutines did not finish within 60 s";
  }

  // One token() with a second's deadline, run to its end: the token or "error".
  std::string token_now(TokenSource& source, std::shared_ptr<const Account> account) {
    std::string token;
    asio::co_spawn(io_, source.token(std::move(account), in(1s)),
                   [&token](std::exception_ptr, core::Result<AccessToken> result) {
                     token = result ? std::string(result->value.reveal()) : "error";
                   });
    run();
    return token;
  }

  fs::path directory_;
  asio::io_context io_;
  std::unique_ptr<TokenSource> source_;
};

TEST_F(TokenSourceTest, TwentyConcurrentAwaitersCauseOneGrant) {
  TokenSource& source = start();
  auto account = bob();
  const int before = bob_grants();
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(io_, source.token(account, in(10s)),
                   [&tokens](std::exception_ptr, core::Result<AccessToken> token) {
                     tokens.push_back(token ? std::string(token->value.reveal())
                                            : "error: " + token.error().describe());
                   });
  }
  run();
  ASSERT_EQ(tokens.size(), 20u);
  for (const auto& token : tokens) EXPECT_EQ(token, tokens.front());
  EXPECT_EQ(tokens.front().rfind("error", 0), std::string::npos) << tokens.front();
  ASSERT_TRUE(eventually([&] { return bob_grants() >= before + 1; }))
      << "oidc-provider never logged the grant";
  EXPECT_EQ(bob_grants(), before + 1) << "twenty awaiters, one request";
  const TokenSourceStats stats = source.stats();
  EXPECT_EQ(stats.renewals_started, 1u);
  EXPECT_EQ(stats.joined, 19u);
}

TEST_F(TokenSourceTest, CachedTokenIsAnsweredWithoutAWorker) {
  TokenSource& source = start();
  auto account = bob();
  std::vector<std::string> tokens;
  const auto ask = [&] {
    asio::co_spawn(io_, source.token(account, in(10s)),
                   [&tokens](std::exception_ptr, core::Result<AccessToken> token) {
                     tokens.emplace_back(token ? token->value.reveal() : "");
                   });
    run();
  };
  ask();
  const int grants = bob_grants();
  const std::uint64_t renewals = source.stats().renewals_started;
  ask();
  ask();
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_FALSE(tokens[0].empty());
  EXPECT_EQ(tokens[1], tokens[0]);
  EXPECT_EQ(tokens[2], tokens[0]);
  EXPECT_EQ(source.stats().renewals_started, renewals) << "a cache hit must not reach a worker";
  EXPECT_EQ(source.stats().cache_hits, 2u);
  EXPECT_EQ(bob_grants(), grants);
}

TEST_F(TokenSourceTest, DeadlinePassesWhileTheRenewalGoesOnAndFillsTheCache) {
  SlowTokenServer server(3s);
  TokenSource& source = start();
  auto account = slow_account(server);
  std::optional<core::Result<AccessToken>> first;
  const auto started = std::chrono::steady_clock::now();
  asio::co_spawn(
      io_, source.token(account, in(500ms)),
      [&first](std::exception_ptr, core::Result<AccessToken> token) { first = std::move(token); });
  run();
  const auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(first.has_value());
  ASSERT_FALSE(first->has_value()) << "the slow server answered within the deadline?";
  EXPECT_EQ(first->error().code(), "token_source.deadline");
  EXPECT_EQ(first->error().error_class(), core::ErrorClass::Temporary);
  EXPECT_NE(first->error().message().find("\"slow\""), std::string::npos)
      << first->error().message();
  EXPECT_NE(first->error().message().find("0.5 s"), std::string::npos) << first->error().message();
  EXPECT_LT(waited, 2500ms) << "the caller waited for the slow server, not its deadline";

  // The renewal went on; its token is in the cache for the next caller.
  ASSERT_TRUE(eventually([&] { return source.stats().renewals_finished == 1; }))
      << "the renewal never finished";
  std::optional<core::Result<AccessToken>> second;
  asio::co_spawn(io_, source.token(account, in(500ms)),
                 [&second](std::exception_ptr, core::Result<AccessToken> token) {
                   second = std::move(token);
                 });
  run();
  ASSERT_TRUE(second.has_value() && second->has_value());
  EXPECT_EQ((*second)->value.reveal(), "slow-token-1");
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(source.stats().deadlines_missed, 1u);
}

// The fast account's token is in the store but not in memory, so it needs a
// worker while the slow account's renewal occupies another.
TEST_F(TokenSourceTest, SlowIdentityServerDoesNotHoldBackAnotherAccount) {
  SlowTokenServer server(3s);
  auto fast = bob();
  asio::co_spawn(io_, start(1).token(fast, in(10s)), asio::detached);  // into the store
  run();
  source_.reset();
  TokenSource& source = start(2);
  std::vector<std::string> finished;
  asio::co_spawn(io_, source.token(slow_account(server), in(10s)),
                 [&finished](std::exception_ptr, core::Result<AccessToken> token) {
                   finished.push_back(token ? "slow" : "slow failed");
                 });
  asio::co_spawn(io_, source.token(fast, in(10s)),
                 [&finished](std::exception_ptr, core::Result<AccessToken> token) {
                   finished.push_back(token ? "fast" : "fast failed: " + token.error().describe());
                 });
  run();
  EXPECT_EQ(finished, (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(source.stats().renewals_started, 2u) << "both went to workers";
}

// Two accounts that both need a request: the store locks per account and holds
// no SQLite transaction across the HTTP request, so the fast account's renewal
// does not wait for the slow server (it did while the store held BEGIN
// IMMEDIATE, database-wide, across the request).
TEST_F(TokenSourceTest, SlowRenewalDoesNotHoldBackAnotherAccountsRenewal) {
  SlowTokenServer server(3s);
  TokenSource& source = start(2);
  std::vector<std::string> finished;
  asio::co_spawn(io_, source.token(slow_account(server), in(10s)),
                 [&finished](std::exception_ptr, core::Result<AccessToken> token) {
                   finished.push_back(token ? "slow" : "slow failed");
                 });
  asio::steady_timer pause(io_, 200ms);  // the slow renewal starts first
  pause.async_wait([&](boost::system::error_code) {
    asio::co_spawn(io_, source.token(bob(), in(10s)),
                   [&finished](std::exception_ptr, core::Result<AccessToken> token) {
                     finished.push_back(token ? "fast" : "fast failed");
                   });
  });
  run();
  EXPECT_EQ(finished, (std::vector<std::string>{"fast", "slow"}));
}

TEST_F(TokenSourceTest, ForcedRenewalsCoalesce) {
  TokenSource& source = start();
  auto account = bob();
  std::vector<std::string> tokens;
  const auto collect = [&tokens](std::exception_ptr, core::Result<AccessToken> token) {
    tokens.push_back(token ? std::string(token->value.reveal()) : "error");
  };
  asio::co_spawn(io_, source.token(account, in(10s)), collect);
  run();
  const int before = bob_grants();
  for (int i = 0; i < 10; ++i) {  // ten sessions refused at once
    asio::co_spawn(io_, source.renewed_token(account, in(10s)), collect);
  }
  run();
  asio::co_spawn(io_, source.renewed_token(account, in(10s)), collect);  // one more, later
  run();
  ASSERT_EQ(tokens.size(), 12u);
  EXPECT_NE(tokens[1], tokens[0]) << "a forced renewal gives a new token";
  for (std::size_t i = 1; i < tokens.size(); ++i) EXPECT_EQ(tokens[i], tokens[1]);
  ASSERT_TRUE(eventually([&] { return bob_grants() >= before + 1; }));
  EXPECT_EQ(bob_grants(), before + 1) << "eleven forced renewals within the window, one grant";
  EXPECT_EQ(source.stats().forced_coalesced, 10u);
}

// The relay's scheduler renews ahead of expiry: afterwards the token is
// answered from memory, and a prefetch while it stays valid does nothing.
TEST_F(TokenSourceTest, PrefetchRenewsAheadWithNobodyWaiting) {
  TokenSource& source = start();
  auto account = bob();
  source.prefetch(account, std::chrono::seconds(60));
  ASSERT_TRUE(eventually([&] { return source.stats().renewals_finished == 1; }))
      << "the prefetch never finished";
  source.prefetch(account, std::chrono::seconds(60));
  const std::string token = token_now(source, account);
  EXPECT_NE(token, "error");
  const TokenSourceStats stats = source.stats();
  EXPECT_EQ(stats.renewals_started, 1u) << "the second prefetch found the token valid";
  EXPECT_EQ(stats.cache_hits, 1u);
}

// The relay's shape: a delivery attempt refuses the token it was first given
// (as a server would refuse a revoked one) and accepts the renewed one.
TEST_F(TokenSourceTest, RenewOnceAsyncAsksTheSourceForARenewedToken) {
  TokenSource& source = start();
  auto account = bob();
  std::vector<std::string> tried;
  std::optional<core::Result<std::string>> outcome;
  bool renewed = false;
  AsyncTokenGetter getter = [&source,
                             account](bool renew) -> asio::awaitable<core::Result<core::Secret>> {
    core::Result<AccessToken> token = core::fail(core::ErrorClass::Bug, "test.unset", "unset");
    if (renew) {
      token = co_await source.renewed_token(account, in(10s));
    } else {
      token = co_await source.token(account, in(10s));
    }
    if (!token) co_return core::fail(token.error());
    co_return std::move(token->value);
  };
  std::function<asio::awaitable<core::Result<std::string>>(core::Secret)> attempt =
      [&tried](core::Secret token) -> asio::awaitable<core::Result<std::string>> {
    tried.emplace_back(token.reveal());
    if (tried.size() == 1) {
      co_return core::fail(core::ErrorClass::Permanent, "smtp.auth_refused", "535 refused");
    }
    co_return std::string("delivered");
  };
  asio::co_spawn(
      io_,
      renew_once_async<std::string>(
          getter, attempt,
          [](const core::Error& error) { return error.code() == "smtp.auth_refused"; }, &renewed),
      [&outcome](std::exception_ptr, core::Result<std::string> result) {
        outcome = std::move(result);
      });
  run();
  ASSERT_TRUE(outcome.has_value() && outcome->has_value());
  EXPECT_EQ(**outcome, "delivered");
  EXPECT_TRUE(renewed);
  ASSERT_EQ(tried.size(), 2u);
  EXPECT_NE(tried[0], tried[1]);
}

TEST_F(TokenSourceTest, CancelledAwaiterIsHarmlessAndTheRenewalStillFillsTheCache) {
  SlowTokenServer server(1s);
  TokenSource& source = start();
  auto account = slow_account(server);
  int winner = -1;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer timer(co_await asio::this_coro::executor, 100ms);
        auto raced =
            co_await (source.token(account, in(10s)) || timer.async_wait(asio::use_awaitable));
        winner = static_cast<int>(raced.index());
      },
      asio::detached);
  run();
  EXPECT_EQ(winner, 1) << "the timer should have won and cancelled the wait";
  EXPECT_EQ(source.stats().waiting, 0u);
  ASSERT_TRUE(eventually([&] { return source.stats().renewals_finished == 1; }));
  const std::string token = token_now(source, account);
  EXPECT_EQ(token, "slow-token-1");
}

// A worker that cannot build its engine (a wrong store key, say) fails the
// start, naming why; the workers that did start are stopped.
TEST_F(TokenSourceTest, AFailedFactoryFailsTheStart) {
  std::atomic<int> calls{0};
  const fs::path database = directory_ / "tokens.db";
  EngineFactory factory = [&calls, database]() -> core::Result<std::unique_ptr<OwnedEngine>> {
    if (++calls == 2) {
      return core::fail(core::ErrorClass::Config, "store.wrong_key", "the store key is wrong");
    }
    auto store =
        TokenStore::open(database, *make_store_key(core::Secret(std::string(32, 's')), "t"));
    if (!store) return core::fail(store.error());
    return std::make_unique<OwnedEngine>(std::move(*store), HttpSettings{}, RetryPolicy{1});
  };
  TokenSourceOptions options;
  options.workers = 3;
  auto started = TokenSource::start(std::move(factory), options);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().code(), "store.wrong_key");
  EXPECT_NE(started.error().message().find("starting the token source"), std::string::npos);
  EXPECT_EQ(calls, 3) << "each worker builds its own engine";
}

TEST_F(TokenSourceTest, ShutdownFailsPendingAwaiters) {
  SlowTokenServer server(2s);
  start();
  auto account = slow_account(server);
  std::vector<std::string> codes;
  std::mutex codes_mutex;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(io_, source_->token(account, in(30s)),
                   [&](std::exception_ptr, core::Result<AccessToken> token) {
                     std::lock_guard lock(codes_mutex);
                     codes.push_back(token ? "token" : token.error().code());
                   });
  }
  std::thread loop([this] { io_.run_for(30s); });
  const bool waiting = eventually([&] { return source_->stats().waiting == 3; });
  source_.reset();  // fails the three, joins the workers (the slow answer ends the renewal)
  loop.join();
  ASSERT_TRUE(waiting) << "the awaiters never queued";
  EXPECT_EQ(codes, (std::vector<std::string>(3, "token_source.stopped")));
}

}  // namespace
}  // namespace mailoauth::oauth2
