// Age durations for --age-warning/--age-critical and their display.
#include "mailoauth/monitor/age_duration.hpp"

#include <gtest/gtest.h>

namespace mailoauth::monitor {
namespace {

using namespace std::chrono_literals;

TEST(AgeDurationTest, Units) {
  EXPECT_EQ(*parse_age_duration("90s"), 90s);
  EXPECT_EQ(*parse_age_duration("30m"), 30min);
  EXPECT_EQ(*parse_age_duration("2h"), 2h);
  EXPECT_EQ(*parse_age_duration("1d"), 24h);
  EXPECT_EQ(*parse_age_duration("1w"), 7 * 24h);
  EXPECT_EQ(*parse_age_duration("1h30m"), 90min);
  EXPECT_EQ(*parse_age_duration("0s"), 0s);
}

TEST(AgeDurationTest, Refusals) {
  for (std::string_view bad : {"", "30", "m", "2x", "1.5h", "-1h", "1h ", " 1h", "h1",
                               "99999999999999999999s", "40000d"}) {
    auto parsed = parse_age_duration(bad, "--age-warning");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().code(), "nagios.bad_duration");
    EXPECT_TRUE(parsed.error().message().starts_with("--age-warning: invalid duration"));
  }
  EXPECT_NE(parse_age_duration("30").error().message().find("unit is missing"), std::string::npos);
}

TEST(AgeDurationTest, Format) {
  EXPECT_EQ(format_age(0s), "0s");
  EXPECT_EQ(format_age(42s), "42s");
  EXPECT_EQ(format_age(303s), "5m 3s");
  EXPECT_EQ(format_age(3h + 12min + 5s), "3h 12m");
  EXPECT_EQ(format_age(26h), "1d 2h");
  EXPECT_EQ(format_age(24h + 5min), "1d");
  EXPECT_EQ(format_age(-5s), "0s");
}

}  // namespace
}  // namespace mailoauth::monitor
