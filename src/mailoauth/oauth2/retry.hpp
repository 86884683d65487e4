// Bounded retries for operations whose failures may be Temporary (a token
// endpoint that is busy, a network blip). Only Temporary errors are retried;
// Permanent and Config errors come back at once, since repeating a refused
// secret only gets an account locked or throttled. The delay doubles from
// `initial_delay` up to `max_delay`, with jitter so a fleet of monitoring
// checks does not retry in lockstep, and a server's Retry-After wins when it is
// longer (up to `max_delay`). Sleeping goes through a Sleeper so tests run
// instantly and can see every wait.
#pragma once

#include <chrono>
#include <functional>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "mailoauth/core/error.hpp"

namespace mailoauth::oauth2 {

struct RetryPolicy {
  int max_attempts = 3;
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{30'000};
};

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep(std::chrono::milliseconds duration) = 0;
};

class RealSleeper final : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds duration) override { std::this_thread::sleep_for(duration); }
};

// The delay before attempt `attempt + 1` (attempt counts from 1), before jitter.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        const core::Error& error);

template <typename T>
core::Result<T> with_retries(const RetryPolicy& policy, Sleeper& sleeper,
                             const std::function<core::Result<T>()>& attempt_once) {
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    core::Result<T> result = attempt_once();
    if (result || result.error().error_class() != core::ErrorClass::Temporary ||
        attempt >= policy.max_attempts) {
      if (!result && attempt > 1) {
        result.error().context(fmt::format("after {} attempts", attempt));
      }
      return result;
    }
    auto delay = backoff_delay(policy, attempt, result.error());
    if (!result.error().retry_after()) {  // up to a quarter less, never more than asked
      delay -= std::chrono::milliseconds(jitter() % (delay.count() / 4 + 1));
    }
    sleeper.sleep(delay);
  }
}

}  // namespace mailoauth::oauth2
