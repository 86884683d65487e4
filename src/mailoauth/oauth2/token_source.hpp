// The asynchronous token source: "a valid access token for this account" for
// coroutines, so that one slow identity server never stalls a daemon's event
// loop or another account's sessions. The token engine blocks (libcurl, the
// store's BEGIN IMMEDIATE, retry sleeps); here it runs on worker threads,
// each of which owns its own engine, store connection (SQLite handles belong
// to one thread) and HTTP client, built on that thread by a factory the
// caller provides (the CLIs' and the relay's configurations both fit).
//
// In front of the workers sits an in-memory cache: a token valid for the
// account's margin is answered at once, on the caller's executor, without
// touching a worker. Otherwise the caller joins the account's renewal or
// starts one: at most one renewal per account at a time (N awaiters, one
// HTTP request), accounts renewed in parallel on different workers. Each
// caller gives a deadline; when it passes, that caller gets a Temporary error
// naming the account and the time waited, while the renewal goes on and its
// result fills the cache for the next caller. Results are posted back to the
// caller's executor: no coroutine is ever resumed on a worker thread. An
// awaiting coroutine may be cancelled or destroyed at any time.
//
// `renewed_token` is for "the server refused this token": it renews even if
// the cached token looks valid, but at most once per account per window, so
// fifty sessions refused at once cause one renewal. `prefetch` starts a
// renewal ahead of expiry with nobody waiting (the relay's scheduler calls
// it). The destructor fails every pending awaiter with a Temporary error and
// joins the workers (a renewal in progress ends within the HTTP deadlines).
//
// This header is Asio-facing (asio::awaitable), as net/stream.hpp is: it
// belongs to `mailoauth_net`, included by coroutine code only; timers and
// the threads stay in token_source.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"
#include "mailoauth/oauth2/token_engine.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::oauth2 {

// An engine with the store connection, HTTP client and sleeper it uses, owned
// together (the engine holds references to them) and used by one thread.
// An account that names a ca_file is verified with it: engine_for() keeps one
// more HTTP client and engine per such file (the same store connection), as
// the CLIs do, so each account's identity server is trusted by its own CA
// and an account without one by the CA of `http_settings` (the system's store
// unless given). Bounded by the CA files the accounts config names.
class OwnedEngine {
 public:
  OwnedEngine(TokenStore store, HttpSettings http_settings, RetryPolicy policy,
              core::Logger* logger = nullptr, const core::Clock& clock = core::system_clock());
  ~OwnedEngine();
  OwnedEngine(const OwnedEngine&) = delete;
  OwnedEngine& operator=(const OwnedEngine&) = delete;

  // The engine with `http_settings` as given.
  TokenEngine& engine() { return engine_; }
  // The engine whose HTTP client trusts the account's ca_file (engine() when it names none).
  TokenEngine& engine_for(const Account& account);

 private:
  struct WithOwnCa;
  TokenStore store_;
  HttpSettings http_settings_;
  RetryPolicy policy_;
  core::Logger* logger_;
  const core::Clock& clock_;
  HttpClient http_;
  RealSleeper sleeper_;
  TokenEngine engine_;
  std::map<std::string, std::unique_ptr<WithOwnCa>> by_ca_file_;
};

// Builds one worker's engine; called once on each worker thread at start.
using EngineFactory = std::function<core::Result<std::unique_ptr<OwnedEngine>>()>;

// An access token as the source hands it out: no refresh token ever leaves
// the workers.
struct AccessToken {
  core::Secret value;
  std::optional<core::Clock::WallTime> expires_at;  // nullopt: not said
};

struct TokenSourceOptions {
  // Threads that renew; as many accounts can renew at once, each serialised.
  std::size_t workers = 4;
  // A forced renewal less than this long after the last one started is not
  // repeated: the caller gets that renewal's token.
  std::chrono::seconds force_renew_window{30};
  const core::Clock* clock = &core::system_clock();  // judges expiry
  core::Logger* logger = nullptr;
  // Called on a worker thread after each renewal (a job a worker completed)
  // with the account's name and whether it succeeded: the relay's metrics.
  // Must be thread-safe and quick.
  std::function<void(const std::string& account, bool succeeded)> on_renewal;
};

// Counters for tests and the relay's metrics.
struct TokenSourceStats {
  std::uint64_t cache_hits = 0;         // answered from memory, no worker
  std::uint64_t renewals_started = 0;   // jobs given to a worker
  std::uint64_t renewals_finished = 0;  // jobs a worker completed (either way)
  std::uint64_t joined = 0;             // callers that joined a renewal in flight
  std::uint64_t forced_coalesced = 0;   // forced renewals answered by a recent one
  std::uint64_t deadlines_missed = 0;   // callers whose deadline passed first
  std::uint64_t waiting = 0;            // callers waiting right now
};

class TokenSource {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Starts the workers; fails (after stopping them) if any factory fails.
  static core::Result<std::unique_ptr<TokenSource>> start(EngineFactory factory,
                                                          TokenSourceOptions options = {});
  ~TokenSource();
  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // A token valid for the account's refresh margin. Accounts are told apart
  // by name; the source keeps the pointer until the renewal that uses it ends.
  boost::asio::awaitable<core::Result<AccessToken>> token(std::shared_ptr<const Account> account,
                                                          Deadline deadline);

  // After the server refused a token: a renewed one, at most one renewal per
  // account per `force_renew_window`.
  boost::asio::awaitable<core::Result<AccessToken>> renewed_token(
      std::shared_ptr<const Account> account, Deadline deadline);

  // Starts a renewal (nobody waits) unless the cached token stays valid for
  // `ahead` or a renewal is already running. Never blocks.
  void prefetch(std::shared_ptr<const Account> account, std::chrono::seconds ahead);

  TokenSourceStats stats() const;

  struct State;  // shared with the workers and the awaiters; token_source.cpp

 private:
  explicit TokenSource(std::shared_ptr<State> state);
  boost::asio::awaitable<core::Result<AccessToken>> await_token(
      std::shared_ptr<const Account> account, Deadline deadline, bool forced);

  std::shared_ptr<State> state_;
};

}  // namespace mailoauth::oauth2
