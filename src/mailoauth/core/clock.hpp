// Clock: the one place that reads the time, injected wherever a decision depends
// on it (token expiry, retry schedules, log timestamps, Nagios age thresholds), so
// tests can set and advance time instead of sleeping. SystemClock reads the real
// clocks; ManualClock is moved by hand.
#pragma once

#include <chrono>
#include <string>

namespace mailoauth::core {

class Clock {
 public:
  using WallTime = std::chrono::system_clock::time_point;
  using MonotonicTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  virtual WallTime now() const = 0;             // for expiry times and timestamps
  virtual MonotonicTime monotonic() const = 0;  // for durations and deadlines
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  MonotonicTime monotonic() const override { return std::chrono::steady_clock::now(); }
};

// The process-wide real clock, for code that is handed no other.
const Clock& system_clock();

class ManualClock final : public Clock {
 public:
  explicit ManualClock(WallTime start = WallTime{std::chrono::seconds{1'700'000'000}})
      : wall_(start) {}
  WallTime now() const override { return wall_; }
  MonotonicTime monotonic() const override { return monotonic_; }

  void advance(std::chrono::nanoseconds by) {
    wall_ += std::chrono::duration_cast<WallTime::duration>(by);
    monotonic_ += by;
  }
  void set(WallTime wall) { wall_ = wall; }

 private:
  WallTime wall_;
  MonotonicTime monotonic_{};
};

// RFC 3339 in UTC with milliseconds: "2026-11-22T14:03:41.123Z".
std::string format_rfc3339_utc(Clock::WallTime time, bool with_milliseconds = true);

}  // namespace mailoauth::core
