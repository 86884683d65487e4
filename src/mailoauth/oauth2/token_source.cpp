// The token source's machinery (see token_source.hpp): one mutex over the
// per-account entries (cached token, renewal in flight, who waits) and the
// job queue; worker threads that take a job, run the blocking engine, and
// hand the result to everyone waiting for that account. A waiter is an Asio
// asynchronous operation whose completion handler is kept in the entry and
// posted to the caller's executor (with outstanding work, so the caller's
// io_context keeps running while it waits). Whoever takes a waiter out of
// its entry under the mutex — the worker, the cancellation, the shutdown —
// completes it; the others find it gone, so each completes exactly once.
#include "mailoauth/oauth2/token_source.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "mailoauth/oauth2/renew_once.hpp"

namespace mailoauth::oauth2 {

namespace asio = boost::asio;
using core::ErrorClass;
using namespace asio::experimental::awaitable_operators;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds kForcedMargin = kRenewNowMargin;

// The coroutine's completion handler, type-erased. Not asio::any_completion_handler:
// in Boost 1.81 moving one into another wraps it again, without end (seen here as a
// stack overflow); the executor and the cancellation slot are kept beside it.
using TokenHandler = std::move_only_function<void(core::Result<AccessToken>)>;

// One coroutine waiting for an account's token.
struct Waiter {
  TokenHandler handler;
  asio::any_io_executor executor;  // the caller's, with outstanding work
  asio::cancellation_slot slot;
  bool forced = false;  // needs a forced renewal, not just any fresh token
};

// A waiter taken out of its entry, with what it gets.
struct Completion {
  std::shared_ptr<Waiter> waiter;
  core::Result<AccessToken> result;
};

struct AccountEntry {
  std::optional<AccessToken> cached;
  bool in_flight = false;
  bool in_flight_forced = false;
  std::vector<std::shared_ptr<Waiter>> waiters;
  std::optional<SteadyClock::time_point> last_forced;
};

struct Job {
  std::shared_ptr<const Account> account;
  std::chrono::seconds margin{0};
  bool forced = false;
};

AccessToken clone_token(const AccessToken& token) {
  return AccessToken{token.value.clone(), token.expires_at};
}

bool valid_for(const AccessToken& token, std::chrono::seconds margin, core::Clock::WallTime now) {
  return !token.expires_at || *token.expires_at - margin > now;
}

core::Error stopped_error(const std::string& account) {
  return core::Error(
      ErrorClass::Temporary, "token_source.stopped",
      fmt::format("the token source stopped before account \"{}\" had a token", account));
}

// Runs on the caller's executor: the slot is cleared before the handler runs
// (Asio's rule for cancellable operations), then the coroutine resumes.
void deliver(Completion completion) {
  Waiter& waiter = *completion.waiter;
  asio::any_io_executor executor = std::move(waiter.executor);
  asio::post(executor, [waiter = std::move(completion.waiter),
                        result = std::move(completion.result)]() mutable {
    if (waiter->slot.is_connected()) waiter->slot.clear();
    std::move(waiter->handler)(std::move(result));
  });
}

}  // namespace

struct TokenSource::State {
  TokenSourceOptions options;
  mutable std::mutex mutex;
  std::condition_variable work;
  std::deque<Job> jobs;
  std::map<std::string, AccountEntry, std::less<>> accounts;
  bool stopping = false;
  TokenSourceStats stats;
  std::vector<std::thread> workers;

  // Under the mutex: queue a renewal for the account.
  void start_renewal(AccountEntry& entry, std::shared_ptr<const Account> account,
                     std::chrono::seconds margin, bool forced) {
    entry.in_flight = true;
    entry.in_flight_forced = forced;
    if (forced) entry.last_forced = SteadyClock::now();
    jobs.push_back(Job{std::move(account), margin, forced});
    ++stats.renewals_started;
    work.notify_one();
  }

  // Under the mutex: a token that can be given at once, if any. A forced
  // request within the window of the last forced renewal is turned into an
  // ordinary one (it joins that renewal or gets its token).
  std::optional<AccessToken> answer_now(const Account& account, bool& forced) {
    AccountEntry& entry = accounts[account.name];
    if (forced && entry.last_forced &&
        SteadyClock::now() - *entry.last_forced < options.force_renew_window) {
      ++stats.forced_coalesced;
      forced = false;
      if (!entry.in_flight && entry.cached) return clone_token(*entry.cached);
      return std::nullopt;
    }
    if (!forced && entry.cached &&
        valid_for(*entry.cached, account.refresh_margin, options.clock->now())) {
      ++stats.cache_hits;
      return clone_token(*entry.cached);
    }
    return std::nullopt;
  }

  // Under the mutex: the waiter joins the account's renewal or starts one.
  void enlist(const std::shared_ptr<const Account>& account, std::shared_ptr<Waiter> waiter) {
    AccountEntry& entry = accounts[account->name];
    const bool forced = waiter->forced;
    entry.waiters.push_back(std::move(waiter));
    ++stats.waiting;
    if (entry.in_flight) {
      ++stats.joined;  // a forced waiter behind an ordinary renewal gets the next one
      return;
    }
    start_renewal(entry, account, forced ? kForcedMargin : account->refresh_margin, forced);
  }

  // Under the mutex: takes the waiter out of its entry; false if already gone.
  bool take(const std::string& account, const std::shared_ptr<Waiter>& waiter) {
    auto found = accounts.find(account);
    if (found == accounts.end()) return false;
    auto& waiters = found->second.waiters;
    for (auto it = waiters.begin(); it != waiters.end(); ++it) {
      if (*it == waiter) {
        waiters.erase(it);
        --stats.waiting;
        return true;
      }
    }
    return false;
  }

  // A worker's result: fills the cache and completes the waiters it serves.
  void finish(const Job& job, core::Result<StoredTokens> renewed) {
    if (options.on_renewal) options.on_renewal(job.account->name, renewed.has_value());
    std::vector<Completion> completions;
    {
      std::lock_guard lock(mutex);
      ++stats.renewals_finished;
      AccountEntry& entry = accounts[job.account->name];
      entry.in_flight = false;
      std::optional<AccessToken> fresh;
      if (renewed) {
        fresh = AccessToken{std::move(renewed->access_token), renewed->access_expires_at};
        entry.cached = clone_token(*fresh);
      }
      std::vector<std::shared_ptr<Waiter>> still_waiting;
      for (auto& waiter : entry.waiters) {
        if (waiter->forced && !job.forced) {
          still_waiting.push_back(std::move(waiter));
          continue;
        }
        core::Result<AccessToken> result =
            fresh ? core::Result<AccessToken>(clone_token(*fresh)) : core::fail(renewed.error());
        completions.push_back({std::move(waiter), std::move(result)});
        --stats.waiting;
      }
      entry.waiters = std::move(still_waiting);
      if (!entry.waiters.empty() && !stopping) {
        start_renewal(entry, job.account, kForcedMargin, true);
      }
      if (!renewed && completions.empty() && options.logger != nullptr) {
        options.logger->warn(fmt::format("account {}: renewing ahead of expiry failed: {}",
                                         job.account->name, renewed.error().describe()));
      }
    }
    for (auto& completion : completions) deliver(std::move(completion));
  }

  // The promise is the worker's own: the starter keeps only the future, so
  // it may return while set_value is still finishing here.
  void run_worker(const EngineFactory& factory, std::promise<core::Result<void>> ready) {
    std::unique_ptr<OwnedEngine> owned;
    try {
      auto made = factory();
      if (!made) {
        ready.set_value(core::fail(std::move(made.error())));
        return;
      }
      owned = std::move(*made);
    } catch (const std::exception& error) {
      ready.set_value(core::fail(ErrorClass::Bug, "token_source.factory",
                                 fmt::format("building a token engine threw: {}", error.what())));
      return;
    }
    ready.set_value({});
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex);
        work.wait(lock, [this] { return stopping || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      core::Result<StoredTokens> renewed =
          core::fail(ErrorClass::Bug, "token_source.unset", "no result");
      try {
        renewed = owned->engine_for(*job.account).access_token(*job.account, job.margin);
      } catch (const std::exception& error) {
        renewed = core::fail(ErrorClass::Bug, "token_source.exception",
                             fmt::format("renewing the token of account \"{}\" threw: {}",
                                         job.account->name, error.what()));
      }
      finish(job, std::move(renewed));
    }
  }
};

// An HTTP client trusting one account's CA file, and the engine over it.
struct OwnedEngine::WithOwnCa {
  WithOwnCa(TokenStore& store, HttpSettings settings, RetryPolicy policy, Sleeper& sleeper,
            const core::Clock& clock, core::Logger* logger)
      : http(std::move(settings), logger), engine(store, http, policy, sleeper, clock, logger) {}
  HttpClient http;
  TokenEngine engine;
};

OwnedEngine::OwnedEngine(TokenStore store, HttpSettings http_settings, RetryPolicy policy,
                         core::Logger* logger, const core::Clock& clock)
    : store_(std::move(store)),
      http_settings_(http_settings),
      policy_(policy),
      logger_(logger),
      clock_(clock),
      http_(std::move(http_settings), logger),
      engine_(store_, http_, policy, sleeper_, clock, logger) {}

OwnedEngine::~OwnedEngine() = default;

TokenEngine& OwnedEngine::engine_for(const Account& account) {
  if (account.ca_file.empty() || account.ca_file == http_settings_.ca_file) return engine_;
  std::unique_ptr<WithOwnCa>& found = by_ca_file_[account.ca_file];
  if (!found) {
    HttpSettings settings = http_settings_;
    settings.ca_file = account.ca_file;
    found = std::make_unique<WithOwnCa>(store_, std::move(settings), policy_, sleeper_, clock_,
                                        logger_);
  }
  return found->engine;
}

core::Result<std::unique_ptr<TokenSource>> TokenSource::start(EngineFactory factory,
                                                              TokenSourceOptions options) {
  auto state = std::make_shared<State>();
  state->options = options;
  if (state->options.workers == 0) state->options.workers = 1;
  std::vector<std::future<core::Result<void>>> ready;
  auto shared_factory = std::make_shared<EngineFactory>(std::move(factory));
  for (std::size_t i = 0; i < state->options.workers; ++i) {
    std::promise<core::Result<void>> promise;
    ready.push_back(promise.get_future());
    state->workers.emplace_back(
        [state_pointer = state.get(), shared_factory, promise = std::move(promise)]() mutable {
          state_pointer->run_worker(*shared_factory, std::move(promise));
        });
  }
  std::optional<core::Error> failed;
  for (auto& future : ready) {
    auto started = future.get();
    if (!started && !failed) failed = std::move(started.error());
  }
  auto source = std::unique_ptr<TokenSource>(new TokenSource(std::move(state)));
  if (failed) return core::fail(std::move(failed->context("starting the token source")));
  return source;
}

TokenSource::TokenSource(std::shared_ptr<State> state) : state_(std::move(state)) {}

TokenSource::~TokenSource() {
  std::vector<Completion> completions;
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->jobs.clear();
    for (auto& [name, entry] : state_->accounts) {
      for (auto& waiter : entry.waiters) {
        completions.push_back({std::move(waiter), core::fail(stopped_error(name))});
      }
      entry.waiters.clear();
    }
    state_->stats.waiting = 0;
  }
  state_->work.notify_all();
  for (auto& completion : completions) deliver(std::move(completion));
  for (auto& worker : state_->workers) worker.join();
}

namespace {

// The waiting itself, as an Asio operation completing with the token.
template <typename CompletionToken>
auto async_wait_for_token(std::shared_ptr<TokenSource::State> state,
                          std::shared_ptr<const Account> account, bool forced,
                          CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(core::Result<AccessToken>)>(
      [state, account, forced](auto handler) {
        auto waiter = std::make_shared<Waiter>();
        waiter->executor = asio::prefer(asio::get_associated_executor(handler),
                                        asio::execution::outstanding_work.tracked);
        waiter->slot = asio::get_associated_cancellation_slot(handler);
        waiter->handler = std::move(handler);
        waiter->forced = forced;
        // The slot first: once enlisted, a worker may complete the waiter.
        if (waiter->slot.is_connected()) {
          waiter->slot.assign([state, name = account->name,
                               weak = std::weak_ptr<Waiter>(waiter)](asio::cancellation_type) {
            auto cancelled = weak.lock();
            if (!cancelled) return;
            {
              std::lock_guard lock(state->mutex);
              if (!state->take(name, cancelled)) return;
            }
            deliver(
                {cancelled, core::fail(ErrorClass::Temporary, "token_source.cancelled",
                                       fmt::format("waiting for the token of account \"{}\" was "
                                                   "cancelled",
                                                   name))});
          });
        }
        std::lock_guard lock(state->mutex);
        if (state->stopping) {
          deliver({waiter, core::fail(stopped_error(account->name))});
          return;
        }
        state->enlist(account, waiter);
      },
      token);
}

}  // namespace

asio::awaitable<core::Result<AccessToken>> TokenSource::await_token(
    std::shared_ptr<const Account> account, Deadline deadline, bool forced) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopping) co_return core::fail(stopped_error(account->name));
    if (auto ready = state_->answer_now(*account, forced)) co_return std::move(*ready);
  }
  const auto started = SteadyClock::now();
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto outcome = co_await (async_wait_for_token(state_, account, forced, asio::use_awaitable) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 0) co_return std::get<0>(std::move(outcome));
  {
    std::lock_guard lock(state_->mutex);
    ++state_->stats.deadlines_missed;
  }
  const std::chrono::duration<double> waited = deadline - started;  // what the caller allowed
  co_return core::fail(
      ErrorClass::Temporary, "token_source.deadline",
      fmt::format("no token for account \"{}\" after {:.1f} s: its identity server has not "
                  "answered yet",
                  account->name, waited.count()),
      "the renewal goes on and fills the cache for the next attempt; if this repeats, check "
      "the identity server (mailoauth token get ACCOUNT -v)");
}

asio::awaitable<core::Result<AccessToken>> TokenSource::token(
    std::shared_ptr<const Account> account, Deadline deadline) {
  auto result = co_await await_token(std::move(account), deadline, false);
  co_return result;
}

asio::awaitable<core::Result<AccessToken>> TokenSource::renewed_token(
    std::shared_ptr<const Account> account, Deadline deadline) {
  auto result = co_await await_token(std::move(account), deadline, true);
  co_return result;
}

void TokenSource::prefetch(std::shared_ptr<const Account> account, std::chrono::seconds ahead) {
  std::lock_guard lock(state_->mutex);
  if (state_->stopping) return;
  AccountEntry& entry = state_->accounts[account->name];
  if (entry.in_flight) return;
  const auto margin = std::max(ahead, account->refresh_margin);
  if (entry.cached && valid_for(*entry.cached, margin, state_->options.clock->now())) return;
  state_->start_renewal(entry, std::move(account), margin, false);
}

TokenSourceStats TokenSource::stats() const {
  std::lock_guard lock(state_->mutex);
  return state_->stats;
}

}  // namespace mailoauth::oauth2
