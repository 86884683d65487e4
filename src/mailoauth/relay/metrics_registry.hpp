// A small metrics registry for the relay: counters, gauges and histograms in
// labelled families, cheap to update from any thread (the event loop, the
// spool and Graph pools, the token source's workers), and a snapshot for the
// exposition writer (metrics_exposition.hpp).
//
// Shaped for the hot path: a series is created once (the first with() for a
// set of label values, under the family's mutex) and lives as long as the
// registry; updating it is one relaxed atomic operation, no lock, no
// allocation. Callers that update often keep the reference with() returns;
// a lookup by label values takes the family's mutex and allocates nothing
// (the values are compared as string_views). Label values come from the
// configuration (routes, accounts), never from a peer: a family holds at
// most kMaxSeriesPerFamily series, and with() past that returns a sink that
// is counted nowhere, so a bug cannot grow memory without bound.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/relay/metrics_exposition.hpp"

namespace mailoauth::relay {

inline constexpr std::size_t kMaxSeriesPerFamily = 1000;

class Counter {
 public:
  void add(std::uint64_t amount = 1) noexcept {
    value_.fetch_add(amount, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void add(double amount) noexcept { value_.fetch_add(amount, std::memory_order_relaxed); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the family's upper bounds, ascending; it outlives the histogram.
  explicit Histogram(std::span<const double> bounds);
  void observe(double value) noexcept;
  // Per-bucket counts (bounds.size() + 1, the last for +Inf) and the sum.
  void read(std::vector<std::uint64_t>& counts, double& sum) const;

 private:
  std::span<const double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// A family of one metric type: name, help, label names, and its series by label values.
template <typename Metric>
class MetricFamily {
 public:
  MetricFamily(std::string name, std::string help, std::vector<std::string> label_names,
               std::vector<double> bounds = {});
  // The series with these label values (as many as label names), created at zero on first use.
  Metric& with(std::initializer_list<std::string_view> values);
  Metric& with_values(std::span<const std::string_view> values);
  // Drops every series (a gauge family rebuilt from the configuration at a
  // reload). References from with() must not be kept across it.
  void clear();
  MetricFamilySnapshot snapshot() const;
  const std::string& name() const { return name_; }

 private:
  struct ValuesLess {
    using is_transparent = void;
    bool operator()(const std::vector<std::string>& a, const std::vector<std::string>& b) const;
    bool operator()(const std::vector<std::string>& a, std::span<const std::string_view> b) const;
    bool operator()(std::span<const std::string_view> a, const std::vector<std::string>& b) const;
  };
  std::unique_ptr<Metric> make() const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>, ValuesLess> series_;
  std::unique_ptr<Metric> overflow_;  // past kMaxSeriesPerFamily: counted nowhere
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

class MetricsRegistry {
 public:
  // Families are registered at start (before any scrape); they live as long
  // as the registry, and are written in registration order.
  CounterFamily& counter(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help,
                             std::vector<std::string> label_names, std::vector<double> bounds);
  // Run by snapshot() first, on the snapshot's thread: for values read when
  // scraped (sessions open now) rather than kept up to date.
  void on_collect(std::function<void()> collect);

  std::vector<MetricFamilySnapshot> snapshot() const;

 private:
  struct Entry {
    std::unique_ptr<CounterFamily> counter;
    std::unique_ptr<GaugeFamily> gauge;
    std::unique_ptr<HistogramFamily> histogram;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> families_;
  std::vector<std::function<void()>> collectors_;
};

}  // namespace mailoauth::relay
