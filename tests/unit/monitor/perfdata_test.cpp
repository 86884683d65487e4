// Perfdata items: go-nagios's `'time'=812ms;;;;` byte for byte (perfdata.go
// PerformanceData.String: " '%s'=%s%s;%s;%s;%s;%s"), label quoting, unit and
// field validation.
#include "mailoauth/monitor/perfdata.hpp"

#include <gtest/gtest.h>

namespace mailoauth::monitor {
namespace {

TEST(PerfDataTest, TimeMetricAsGoNagios) {
  EXPECT_EQ(time_metric(std::chrono::milliseconds(812)).render(), " 'time'=812ms;;;;");
}

TEST(PerfDataTest, CountMetricWithThresholds) {
  const auto w = Range::parse("5");
  const auto c = Range::parse("@0");
  EXPECT_EQ(count_metric("Inbox", 2, *w, *c).render(), " 'Inbox'=2;5;@0;0;");
  EXPECT_EQ(count_metric("Junk Email", 0, {}, {}).render(), " 'Junk Email'=0;;;0;");
}

TEST(PerfDataTest, SingleQuotesAreDoubled) {
  EXPECT_EQ(quote_label("Bob's mail"), "'Bob''s mail'");
  auto item = PerfData::make("it's", "1");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->render(), " 'it''s'=1;;;;");
}

TEST(PerfDataTest, MakeChecksEveryField) {
  EXPECT_TRUE(PerfData::make("a", "1.5", "s", "10:", "~:20", "0", "100"));
  EXPECT_TRUE(PerfData::make("a", "U"));
  EXPECT_TRUE(PerfData::make("a", "-3", "%"));
  EXPECT_FALSE(PerfData::make("", "1"));
  EXPECT_FALSE(PerfData::make("a=b", "1"));
  EXPECT_FALSE(PerfData::make("a\nb", "1"));
  EXPECT_FALSE(PerfData::make("a", "one"));
  EXPECT_FALSE(PerfData::make("a", ""));
  EXPECT_FALSE(PerfData::make("a", "1", "seconds"));
  EXPECT_FALSE(PerfData::make("a", "1", "GB"));
  EXPECT_FALSE(PerfData::make("a", "1", "", "x"));
  EXPECT_FALSE(PerfData::make("a", "1", "", "", "5:1"));
  EXPECT_FALSE(PerfData::make("a", "1", "", "", "", "zero"));
  const auto error = PerfData::make("a", "1", "kb").error();
  EXPECT_EQ(error.code(), "nagios.bad_perfdata");
}

TEST(PerfDataTest, Units) {
  for (auto unit : {"", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c"}) {
    EXPECT_TRUE(is_valid_unit(unit)) << unit;
  }
  EXPECT_FALSE(is_valid_unit("MS"));
  EXPECT_FALSE(is_valid_unit("min"));
}

TEST(PerfDataTest, LabelsFromFolderNames) {
  EXPECT_EQ(perfdata_label_from_name("Junk Email"), "Junk Email");
  EXPECT_EQ(perfdata_label_from_name("a=b"), "a_b");
  EXPECT_EQ(perfdata_label_from_name("a\tb\n"), "a_b_");
  EXPECT_EQ(perfdata_label_from_name(""), "_");
  EXPECT_EQ(perfdata_label_from_name("Boîte"), "Boîte");
  EXPECT_TRUE(PerfData::make(perfdata_label_from_name("x=\x01y"), "1"));
}

}  // namespace
}  // namespace mailoauth::monitor
