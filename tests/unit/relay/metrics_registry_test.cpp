// The registry: counts from many threads at once add up exactly, a series is
// created once and kept, histogram observations land in the right bucket
// (a value equal to a bound is in that bound's bucket), families come out in
// registration order with their series sorted, and a family never grows past
// kMaxSeriesPerFamily.
#include "mailoauth/relay/metrics_registry.hpp"

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

TEST(MetricsRegistryTest, ConcurrentIncrementsAddUpExactly) {
  MetricsRegistry registry;
  CounterFamily& counter = registry.counter("c_total", "h", {"route"});
  HistogramFamily& histogram = registry.histogram("h_seconds", "h", {"route"}, {0.5, 1});
  GaugeFamily& gauge = registry.gauge("g", "h", {"route"});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string route = t % 2 == 0 ? "even" : "odd";
      for (int i = 0; i < kPerThread; ++i) {
        counter.with({route}).add();
        counter.with({"all"}).add();
        histogram.with({"all"}).observe(i % 2 == 0 ? 0.25 : 2.0);
        gauge.with({"all"}).add(1);
        gauge.with({"all"}).add(-1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(counter.with({"all"}).value(), std::uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(counter.with({"even"}).value(), std::uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(counter.with({"odd"}).value(), std::uint64_t{kThreads / 2} * kPerThread);
  EXPECT_EQ(gauge.with({"all"}).value(), 0);
  std::vector<std::uint64_t> buckets;
  double sum = 0;
  histogram.with({"all"}).read(buckets, sum);
  const std::uint64_t half = std::uint64_t{kThreads} * kPerThread / 2;
  EXPECT_EQ(buckets, (std::vector<std::uint64_t>{half, 0, half}));
  EXPECT_DOUBLE_EQ(sum, static_cast<double>(half) * 2.25);
}

TEST(MetricsRegistryTest, SeriesAreCreatedOnceAndKept) {
  MetricsRegistry registry;
  CounterFamily& counter = registry.counter("c_total", "h", {"route"});
  Counter& first = counter.with({"a"});
  first.add(2);
  EXPECT_EQ(&counter.with({"a"}), &first);
  EXPECT_EQ(counter.with({"a"}).value(), 2u);
}

TEST(MetricsRegistryTest, HistogramBucketsAreUpperBoundsInclusive) {
  MetricsRegistry registry;
  HistogramFamily& family = registry.histogram("h", "h", {}, {1, 0.1});  // sorted on registration
  Histogram& histogram = family.with({});
  for (const double value : {0.0, 0.1, 0.10001, 1.0, 5.0}) histogram.observe(value);
  std::vector<std::uint64_t> buckets;
  double sum = 0;
  histogram.read(buckets, sum);
  EXPECT_EQ(buckets, (std::vector<std::uint64_t>{2, 2, 1}));
  const auto snapshot = registry.snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].bounds, (std::vector<double>{0.1, 1}));
}

TEST(MetricsRegistryTest, SnapshotInRegistrationOrderWithSortedSeries) {
  MetricsRegistry registry;
  registry.gauge("second", "h");
  CounterFamily& first = registry.counter("first_total", "h", {"route"});
  first.with({"zeta"}).add();
  first.with({"alpha"}).add(4);
  int collected = 0;
  registry.on_collect([&] { ++collected; });
  const auto snapshot = registry.snapshot();
  EXPECT_EQ(collected, 1);
  ASSERT_EQ(snapshot.size(), 2u);
  EXPECT_EQ(snapshot[0].name, "second");
  EXPECT_TRUE(snapshot[0].samples.empty());
  EXPECT_EQ(snapshot[1].type, MetricType::Counter);
  ASSERT_EQ(snapshot[1].samples.size(), 2u);
  EXPECT_EQ(snapshot[1].samples[0].label_values, std::vector<std::string>{"alpha"});
  EXPECT_EQ(snapshot[1].samples[0].value, 4);
  EXPECT_EQ(snapshot[1].samples[1].label_values, std::vector<std::string>{"zeta"});
}

TEST(MetricsRegistryTest, SeriesAreBoundedAndWrongArityIsNotExported) {
  MetricsRegistry registry;
  CounterFamily& counter = registry.counter("c_total", "h", {"route"});
  for (std::size_t i = 0; i < kMaxSeriesPerFamily + 50; ++i) {
    counter.with({"r" + std::to_string(i)}).add();
  }
  counter.with({"a", "b"}).add();  // two values for one label name
  EXPECT_EQ(counter.snapshot().samples.size(), kMaxSeriesPerFamily);
}

TEST(MetricsRegistryTest, ClearDropsTheSeries) {
  MetricsRegistry registry;
  GaugeFamily& gauge = registry.gauge("g", "h", {"account"});
  gauge.with({"old"}).set(1);
  gauge.clear();
  gauge.with({"new"}).set(2);
  const auto snapshot = gauge.snapshot();
  ASSERT_EQ(snapshot.samples.size(), 1u);
  EXPECT_EQ(snapshot.samples[0].label_values, std::vector<std::string>{"new"});
}

}  // namespace
}  // namespace mailoauth::relay
