// The Prometheus text writer: a golden exposition with every metric type,
// escaping of label values and HELP text, histogram buckets made cumulative
// with +Inf, _sum and _count, and how sample values are written.
#include "mailoauth/relay/metrics_exposition.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

TEST(MetricsExpositionTest, GoldenTextForEveryType) {
  std::vector<MetricFamilySnapshot> families(3);
  families[0] = {"mailoauth_relay_messages_received_total",
                 "Messages accepted.",
                 MetricType::Counter,
                 {"route"},
                 {},
                 {{{"contoso"}, 3, {}, 0}, {{"fabrikam"}, 0, {}, 0}}};
  families[1] = {
      "mailoauth_relay_sessions_in", "Open sessions.", MetricType::Gauge, {}, {}, {{{}, 2, {}, 0}}};
  families[2] = {"mailoauth_relay_upstream_duration_seconds",
                 "Upstream time.",
                 MetricType::Histogram,
                 {"route", "stage"},
                 {0.1, 1},
                 {{{"contoso", "auth"}, 0, {1, 2, 1}, 3.75}}};
  EXPECT_EQ(
      write_exposition(families),
      "# HELP mailoauth_relay_messages_received_total Messages accepted.\n"
      "# TYPE mailoauth_relay_messages_received_total counter\n"
      "mailoauth_relay_messages_received_total{route=\"contoso\"} 3\n"
      "mailoauth_relay_messages_received_total{route=\"fabrikam\"} 0\n"
      "# HELP mailoauth_relay_sessions_in Open sessions.\n"
      "# TYPE mailoauth_relay_sessions_in gauge\n"
      "mailoauth_relay_sessions_in 2\n"
      "# HELP mailoauth_relay_upstream_duration_seconds Upstream time.\n"
      "# TYPE mailoauth_relay_upstream_duration_seconds histogram\n"
      "mailoauth_relay_upstream_duration_seconds_bucket{route=\"contoso\",stage=\"auth\","
      "le=\"0.1\"} 1\n"
      "mailoauth_relay_upstream_duration_seconds_bucket{route=\"contoso\",stage=\"auth\","
      "le=\"1\"} 3\n"
      "mailoauth_relay_upstream_duration_seconds_bucket{route=\"contoso\",stage=\"auth\","
      "le=\"+Inf\"} 4\n"
      "mailoauth_relay_upstream_duration_seconds_sum{route=\"contoso\",stage=\"auth\"} "
      "3.75\n"
      "mailoauth_relay_upstream_duration_seconds_count{route=\"contoso\",stage=\"auth\"} 4\n");
}

TEST(MetricsExpositionTest, HistogramWithoutLabelsHasOnlyLe) {
  std::vector<MetricFamilySnapshot> families(1);
  families[0] = {"h", "x", MetricType::Histogram, {}, {0.5}, {{{}, 0, {0, 0}, 0}}};
  EXPECT_EQ(write_exposition(families),
            "# HELP h x\n# TYPE h histogram\n"
            "h_bucket{le=\"0.5\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

TEST(MetricsExpositionTest, FamilyWithoutSamplesStillSaysWhatItIs) {
  std::vector<MetricFamilySnapshot> families(1);
  families[0] = {"c_total", "nothing yet", MetricType::Counter, {"route"}, {}, {}};
  EXPECT_EQ(write_exposition(families), "# HELP c_total nothing yet\n# TYPE c_total counter\n");
}

TEST(MetricsExpositionTest, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escape_label_value("two\nlines"), "two\\nlines");
  EXPECT_EQ(escape_label_value("tab\there"), "tab\there") << "only \\, \" and LF are escaped";
  std::vector<MetricFamilySnapshot> families(1);
  families[0] = {"g", "h", MetricType::Gauge, {"route"}, {}, {{{"x\"\\\ny"}, 1, {}, 0}}};
  EXPECT_EQ(write_exposition(families),
            "# HELP g h\n# TYPE g gauge\ng{route=\"x\\\"\\\\\\ny\"} 1\n");
}

TEST(MetricsExpositionTest, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("a \"b\" \\ c\nd"), "a \"b\" \\\\ c\\nd");
}

TEST(MetricsExpositionTest, SampleValues) {
  EXPECT_EQ(format_sample_value(0), "0");
  EXPECT_EQ(format_sample_value(42), "42");
  EXPECT_EQ(format_sample_value(-3), "-3");
  EXPECT_EQ(format_sample_value(0.25), "0.25");
  EXPECT_EQ(format_sample_value(1764912345.5), "1764912345.5");
  EXPECT_EQ(format_sample_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_sample_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_sample_value(std::nan("")), "NaN");
  EXPECT_EQ(format_sample_value(1e20), "1e+20");
}

}  // namespace
}  // namespace mailoauth::relay
