// Nagios ranges against the Monitoring Plugins guidelines' table (FACTS.md
// section 5): each form, its edges (inclusive), decimals, negatives, and the
// garbage go-nagios silently reads as 0.
#include "mailoauth/monitor/nagios_range.hpp"

#include <gtest/gtest.h>

namespace mailoauth::monitor {
namespace {

using core::NagiosState;

Range range(std::string_view text) {
  auto parsed = Range::parse(text);
  EXPECT_TRUE(parsed) << text << ": " << (parsed ? "" : parsed.error().message());
  return parsed ? *parsed : Range{};
}

TEST(NagiosRangeTest, PlainEndAlertsOutsideZeroToEnd) {
  const Range r = range("10");
  EXPECT_FALSE(r.alerts(0));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_TRUE(r.alerts(10.5));
  EXPECT_TRUE(r.alerts(-1));
  EXPECT_EQ(r.start(), 0.0);
  EXPECT_EQ(r.end(), 10.0);
}

TEST(NagiosRangeTest, StartOnlyAlertsBelow) {
  const Range r = range("10:");
  EXPECT_TRUE(r.alerts(9.99));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_FALSE(r.alerts(1e12));
  EXPECT_FALSE(r.end().has_value());
}

TEST(NagiosRangeTest, TildeIsMinusInfinity) {
  const Range r = range("~:10");
  EXPECT_FALSE(r.alerts(-1e12));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_TRUE(r.alerts(11));
  EXPECT_FALSE(r.start().has_value());
}

TEST(NagiosRangeTest, BothEndsAlertOutside) {
  const Range r = range("10:20");
  EXPECT_TRUE(r.alerts(9));
  EXPECT_FALSE(r.alerts(10));
  EXPECT_FALSE(r.alerts(20));
  EXPECT_TRUE(r.alerts(21));
}

TEST(NagiosRangeTest, AtAlertsInsideInclusive) {
  const Range r = range("@10:20");
  EXPECT_TRUE(r.inside());
  EXPECT_FALSE(r.alerts(9));
  EXPECT_TRUE(r.alerts(10));
  EXPECT_TRUE(r.alerts(20));
  EXPECT_FALSE(r.alerts(21));
  EXPECT_EQ(r.text(), "@10:20");
}

TEST(NagiosRangeTest, AtZeroAlertsOnZeroOnly) {
  const Range r = range("@0");
  EXPECT_TRUE(r.alerts(0));
  EXPECT_FALSE(r.alerts(1));
}

TEST(NagiosRangeTest, AtWithTilde) {
  const Range r = range("@~:0");
  EXPECT_TRUE(r.alerts(-5));
  EXPECT_TRUE(r.alerts(0));
  EXPECT_FALSE(r.alerts(0.1));
}

TEST(NagiosRangeTest, DecimalsAndNegatives) {
  const Range r = range("-5.5:0.25");
  EXPECT_TRUE(r.alerts(-5.6));
  EXPECT_FALSE(r.alerts(-5.5));
  EXPECT_FALSE(r.alerts(0.25));
  EXPECT_TRUE(r.alerts(0.26));
  EXPECT_EQ(range("+3").end(), 3.0);
  EXPECT_EQ(range(".5").end(), 0.5);
  EXPECT_EQ(range("5.").end(), 5.0);
}

TEST(NagiosRangeTest, EmptyStartMeansZero) {
  const Range r = range(":10");
  EXPECT_EQ(r.start(), 0.0);
  EXPECT_TRUE(r.alerts(-1));
}

TEST(NagiosRangeTest, GarbageIsRefusedWithItsReason) {
  for (std::string_view bad :
       {"",    "@",   "~",   ":",   "@:",  "abc", "1.2.3", "10:5", "1:2:3", "10x",
        "1e3", "inf", "nan", "--1", " 10", "10 ", "~:~",   "@@1",  "0x10",  "5:~"}) {
    auto parsed = Range::parse(bad, "-w");
    ASSERT_FALSE(parsed) << "accepted \"" << bad << "\"";
    EXPECT_EQ(parsed.error().code(), "nagios.bad_range");
    EXPECT_EQ(parsed.error().error_class(), core::ErrorClass::Config);
    EXPECT_TRUE(parsed.error().message().starts_with("-w: invalid range"))
        << parsed.error().message();
    EXPECT_FALSE(parsed.error().remedy().empty());
  }
  EXPECT_NE(Range::parse("10:5").error().message().find("greater than the end"), std::string::npos);
  EXPECT_FALSE(Range::parse(std::string(100, '1')));
}

TEST(NagiosRangeTest, EvaluateCriticalBeforeWarning) {
  const auto w = Range::parse("5");
  const auto c = Range::parse("10");
  EXPECT_EQ(evaluate_thresholds(3, *w, *c), NagiosState::Ok);
  EXPECT_EQ(evaluate_thresholds(6, *w, *c), NagiosState::Warning);
  EXPECT_EQ(evaluate_thresholds(11, *w, *c), NagiosState::Critical);
  EXPECT_EQ(evaluate_thresholds(11, std::nullopt, std::nullopt), NagiosState::Ok);
  EXPECT_EQ(evaluate_thresholds(11, *w, std::nullopt), NagiosState::Warning);
}

TEST(NagiosRangeTest, WorstState) {
  EXPECT_EQ(worst_state(NagiosState::Ok, NagiosState::Warning), NagiosState::Warning);
  EXPECT_EQ(worst_state(NagiosState::Critical, NagiosState::Unknown), NagiosState::Critical);
  EXPECT_EQ(worst_state(NagiosState::Warning, NagiosState::Unknown), NagiosState::Unknown);
  EXPECT_EQ(worst_state(NagiosState::Ok, NagiosState::Ok), NagiosState::Ok);
}

}  // namespace
}  // namespace mailoauth::monitor
