// The metrics registry; see metrics_registry.hpp. The per-series work is
// atomics; the mutexes guard only the maps of series and of families.
#include "mailoauth/relay/metrics_registry.hpp"

#include <algorithm>

namespace mailoauth::relay {

namespace {

template <typename A, typename B>
bool values_less(const A& a, const B& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](std::string_view x, std::string_view y) { return x < y; });
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) noexcept {
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

void Histogram::read(std::vector<std::uint64_t>& counts, double& sum) const {
  counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i < counts.size(); ++i) {
    counts[i] = counts_[i].load(std::memory_order_relaxed);
  }
  sum = sum_.load(std::memory_order_relaxed);
}

template <typename Metric>
bool MetricFamily<Metric>::ValuesLess::operator()(const std::vector<std::string>& a,
                                                  const std::vector<std::string>& b) const {
  return values_less(a, b);
}
template <typename Metric>
bool MetricFamily<Metric>::ValuesLess::operator()(const std::vector<std::string>& a,
                                                  std::span<const std::string_view> b) const {
  return values_less(a, b);
}
template <typename Metric>
bool MetricFamily<Metric>::ValuesLess::operator()(std::span<const std::string_view> a,
                                                  const std::vector<std::string>& b) const {
  return values_less(a, b);
}

template <typename Metric>
MetricFamily<Metric>::MetricFamily(std::string name, std::string help,
                                   std::vector<std::string> label_names, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      bounds_(std::move(bounds)),
      overflow_(make()) {}

template <typename Metric>
std::unique_ptr<Metric> MetricFamily<Metric>::make() const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    return std::make_unique<Histogram>(std::span<const double>(bounds_));
  } else {
    return std::make_unique<Metric>();
  }
}

template <typename Metric>
Metric& MetricFamily<Metric>::with(std::initializer_list<std::string_view> values) {
  return with_values(std::span<const std::string_view>(values.begin(), values.size()));
}

template <typename Metric>
Metric& MetricFamily<Metric>::with_values(std::span<const std::string_view> values) {
  std::lock_guard lock(mutex_);
  if (values.size() != label_names_.size()) return *overflow_;
  if (auto found = series_.find(values); found != series_.end()) return *found->second;
  if (series_.size() >= kMaxSeriesPerFamily) return *overflow_;
  std::vector<std::string> key(values.begin(), values.end());
  return *series_.emplace(std::move(key), make()).first->second;
}

template <typename Metric>
void MetricFamily<Metric>::clear() {
  std::lock_guard lock(mutex_);
  series_.clear();
}

template <typename Metric>
MetricFamilySnapshot MetricFamily<Metric>::snapshot() const {
  MetricFamilySnapshot out;
  out.name = name_;
  out.help = help_;
  out.label_names = label_names_;
  out.bounds = bounds_;
  if constexpr (std::is_same_v<Metric, Counter>) {
    out.type = MetricType::Counter;
  } else if constexpr (std::is_same_v<Metric, Gauge>) {
    out.type = MetricType::Gauge;
  } else {
    out.type = MetricType::Histogram;
  }
  std::lock_guard lock(mutex_);
  out.samples.reserve(series_.size());
  for (const auto& [values, metric] : series_) {
    MetricSample sample;
    sample.label_values = values;
    if constexpr (std::is_same_v<Metric, Histogram>) {
      metric->read(sample.bucket_counts, sample.sum);
    } else {
      sample.value = static_cast<double>(metric->value());
    }
    out.samples.push_back(std::move(sample));
  }
  return out;
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

CounterFamily& MetricsRegistry::counter(std::string name, std::string help,
                                        std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  auto& entry = families_.emplace_back();
  entry.counter =
      std::make_unique<CounterFamily>(std::move(name), std::move(help), std::move(label_names));
  return *entry.counter;
}

GaugeFamily& MetricsRegistry::gauge(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  std::lock_guard lock(mutex_);
  auto& entry = families_.emplace_back();
  entry.gauge =
      std::make_unique<GaugeFamily>(std::move(name), std::move(help), std::move(label_names));
  return *entry.gauge;
}

HistogramFamily& MetricsRegistry::histogram(std::string name, std::string help,
                                            std::vector<std::string> label_names,
                                            std::vector<double> bounds) {
  std::sort(bounds.begin(), bounds.end());
  std::lock_guard lock(mutex_);
  auto& entry = families_.emplace_back();
  entry.histogram = std::make_unique<HistogramFamily>(std::move(name), std::move(help),
                                                      std::move(label_names), std::move(bounds));
  return *entry.histogram;
}

void MetricsRegistry::on_collect(std::function<void()> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

std::vector<MetricFamilySnapshot> MetricsRegistry::snapshot() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  for (const auto& collect : collectors) collect();
  std::lock_guard lock(mutex_);
  std::vector<MetricFamilySnapshot> out;
  out.reserve(families_.size());
  for (const Entry& entry : families_) {
    if (entry.counter) out.push_back(entry.counter->snapshot());
    if (entry.gauge) out.push_back(entry.gauge->snapshot());
    if (entry.histogram) out.push_back(entry.histogram->snapshot());
  }
  return out;
}

}  // namespace mailoauth::relay
