// Tests for the injectable clock and RFC 3339 formatting.
#include "mailoauth/core/clock.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, ManualClockAdvancesBothClocks) {
  ManualClock clock;
  const auto wall = clock.now();
  const auto monotonic = clock.monotonic();
  clock.advance(90s);
  EXPECT_EQ(clock.now() - wall, 90s);
  EXPECT_EQ(clock.monotonic() - monotonic, 90s);
}

TEST(ClockTest, FormatsRfc3339Utc) {
  const Clock::WallTime time{std::chrono::milliseconds{1'700'000'000'123}};
  EXPECT_EQ(format_rfc3339_utc(time), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_rfc3339_utc(time, false), "2023-11-14T22:13:20Z");
}

TEST(ClockTest, FormatsBeforeEpochWithFlooredMilliseconds) {
  const Clock::WallTime time{std::chrono::milliseconds{-1}};
  EXPECT_EQ(format_rfc3339_utc(time), "1969-12-31T23:59:59.999Z");
}

TEST(ClockTest, SystemClockIsNearNow) {
  const auto before = std::chrono::system_clock::now();
  const auto read = system_clock().now();
  EXPECT_GE(read, before);
  EXPECT_LT(read - before, 60s);
}

}  // namespace
}  // namespace mailoauth::core
