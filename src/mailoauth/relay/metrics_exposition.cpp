// The Prometheus text writer; see metrics_exposition.hpp.
#include "mailoauth/relay/metrics_exposition.hpp"

#include <cmath>

#include <fmt/format.h>

namespace mailoauth::relay {

namespace {

std::string escaped(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}` for the names and values, with `extra` (le="...") last;
// nothing when there are no labels at all.
void append_labels(std::string& out, const std::vector<std::string>& names,
                   const std::vector<std::string>& values, std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return;
  out += '{';
  bool first = true;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!first) out += ',';
    first = false;
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!first) out += ',';
    out += extra;
  }
  out += '}';
}

void append_line(std::string& out, std::string_view name, std::string_view suffix,
                 const std::vector<std::string>& names, const std::vector<std::string>& values,
                 std::string_view value, std::string_view extra = {}) {
  out += name;
  out += suffix;
  append_labels(out, names, values, extra);
  out += ' ';
  out += value;
  out += '\n';
}

void append_histogram(std::string& out, const MetricFamilySnapshot& family,
                      const MetricSample& sample) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= family.bounds.size(); ++i) {
    if (i < sample.bucket_counts.size()) cumulative += sample.bucket_counts[i];
    const std::string le =
        fmt::format("le=\"{}\"", i < family.bounds.size() ? format_sample_value(family.bounds[i])
                                                          : std::string("+Inf"));
    append_line(out, family.name, "_bucket", family.label_names, sample.label_values,
                fmt::format("{}", cumulative), le);
  }
  append_line(out, family.name, "_sum", family.label_names, sample.label_values,
              format_sample_value(sample.sum));
  append_line(out, family.name, "_count", family.label_names, sample.label_values,
              fmt::format("{}", cumulative));
}

}  // namespace

std::string_view to_string(MetricType type) {
  switch (type) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Histogram:
      return "histogram";
  }
  return "untyped";
}

std::string escape_label_value(std::string_view value) {
  return escaped(value, true);
}

std::string escape_help(std::string_view text) {
  return escaped(text, false);
}

std::string format_sample_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  return fmt::format("{}", value);
}

std::string write_exposition(std::span<const MetricFamilySnapshot> families) {
  std::string out;
  for (const MetricFamilySnapshot& family : families) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, escape_help(family.help),
                       family.name, to_string(family.type));
    for (const MetricSample& sample : family.samples) {
      if (family.type == MetricType::Histogram) {
        append_histogram(out, family, sample);
      } else {
        append_line(out, family.name, "", family.label_names, sample.label_values,
                    format_sample_value(sample.value));
      }
    }
  }
  return out;
}

}  // namespace mailoauth::relay
