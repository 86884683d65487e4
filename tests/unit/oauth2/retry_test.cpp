// Retries: only Temporary errors, bounded attempts, doubling delays capped,
// Retry-After honoured, and the attempt count in the final error.
#include "mailoauth/oauth2/retry.hpp"

#include <gtest/gtest.h>

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;
using core::ErrorClass;

class RecordingSleeper final : public Sleeper {
 public:
  void sleep(std::chrono::milliseconds duration) override { waits.push_back(duration); }
  std::vector<std::chrono::milliseconds> waits;
};

core::Result<int> failing(ErrorClass error_class, int* calls) {
  ++*calls;
  return core::fail(error_class, "test.fail", "nope");
}

TEST(RetryTest, TemporaryIsRetriedUpToTheLimit) {
  RecordingSleeper sleeper;
  int calls = 0;
  auto result = with_retries<int>({3, 100ms, 10s}, sleeper,
                                  [&] { return failing(ErrorClass::Temporary, &calls); });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(sleeper.waits.size(), 2u);
  EXPECT_LE(sleeper.waits[0], 100ms);
  EXPECT_GE(sleeper.waits[0], 75ms);  // jitter takes at most a quarter
  EXPECT_LE(sleeper.waits[1], 200ms);
  EXPECT_GE(sleeper.waits[1], 150ms);
  EXPECT_EQ(result.error().message(), "after 3 attempts: nope");
}

TEST(RetryTest, PermanentAndConfigAreNotRetried) {
  for (auto error_class : {ErrorClass::Permanent, ErrorClass::Config, ErrorClass::Bug}) {
    RecordingSleeper sleeper;
    int calls = 0;
    auto result =
        with_retries<int>({5, 100ms, 10s}, sleeper, [&] { return failing(error_class, &calls); });
    EXPECT_FALSE(result.has_value());
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(sleeper.waits.empty());
    EXPECT_EQ(result.error().message(), "nope");
  }
}

TEST(RetryTest, SuccessAfterAFailureStops) {
  RecordingSleeper sleeper;
  int calls = 0;
  auto result = with_retries<int>({5, 10ms, 1s}, sleeper, [&]() -> core::Result<int> {
    if (++calls < 2) return core::fail(ErrorClass::Temporary, "t", "busy");
    return 42;
  });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(calls, 2);
}

TEST(RetryTest, RetryAfterWinsWhenLongerButIsCapped) {
  core::Error error(ErrorClass::Temporary, "t", "busy");
  error.with_retry_after(7s);
  EXPECT_EQ(backoff_delay({3, 100ms, 30s}, 1, error), 7000ms);
  EXPECT_EQ(backoff_delay({3, 100ms, 5s}, 1, error), 5000ms);
  RecordingSleeper sleeper;
  int calls = 0;
  (void)with_retries<int>({2, 100ms, 30s}, sleeper, [&]() -> core::Result<int> {
    ++calls;
    return core::fail(core::Error(error));
  });
  ASSERT_EQ(sleeper.waits.size(), 1u);
  EXPECT_EQ(sleeper.waits[0], 7000ms);  // no jitter below what the server asked
}

TEST(RetryTest, DelaysDoubleAndCap) {
  core::Error error(ErrorClass::Temporary, "t", "busy");
  const RetryPolicy policy{10, 500ms, 3s};
  EXPECT_EQ(backoff_delay(policy, 1, error), 500ms);
  EXPECT_EQ(backoff_delay(policy, 2, error), 1000ms);
  EXPECT_EQ(backoff_delay(policy, 3, error), 2000ms);
  EXPECT_EQ(backoff_delay(policy, 4, error), 3000ms);
  EXPECT_EQ(backoff_delay(policy, 9, error), 3000ms);
}

}  // namespace
}  // namespace mailoauth::oauth2
