// The Prometheus text exposition format (version 0.0.4), written from a plain
// snapshot of metric families. Pure: data in, text out, no registry, no
// clock and no I/O, so the format's rules are unit tests with golden text —
// `# HELP` (backslash and newline escaped) and `# TYPE` once per family;
// label values with backslash, double quote and newline escaped; a histogram
// as cumulative `_bucket{le="..."}` lines ending with `le="+Inf"`, then
// `_sum` and `_count` (the +Inf bucket's value, so the two always agree).
// The registry (metrics_registry.hpp) makes the snapshot; the relay's HTTP
// listener (metrics_http_server.hpp) serves the text.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailoauth::relay {

inline constexpr std::string_view kExpositionContentType =
    "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { Counter, Gauge, Histogram };
std::string_view to_string(MetricType type);

// One labelled series of a family: its label values in the family's
// label_names order.
struct MetricSample {
  std::vector<std::string> label_values;
  double value = 0;  // counter, gauge
  // Histogram: the observations per bucket, NOT cumulative, one per bound
  // and a last one for +Inf (bounds.size() + 1 entries); the writer sums them.
  std::vector<std::uint64_t> bucket_counts;
  double sum = 0;
};

struct MetricFamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::Counter;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histogram upper bounds, ascending, without +Inf
  std::vector<MetricSample> samples;
};

// The exposition of the families, in the order given (samples too).
std::string write_exposition(std::span<const MetricFamilySnapshot> families);

// A label value as written between double quotes: \ → \\, " → \", LF → \n.
std::string escape_label_value(std::string_view value);
// A HELP text: \ → \\, LF → \n.
std::string escape_help(std::string_view text);
// A sample value: integers without a fraction ("3"), others shortest
// round-trip ("0.25"), "+Inf", "-Inf", "NaN".
std::string format_sample_value(double value);

}  // namespace mailoauth::relay
