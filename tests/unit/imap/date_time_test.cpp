// date-time both ways: the zone applied, space-padded days, every bad field refused.
#include "mailoauth/imap/date_time.hpp"

#include <gtest/gtest.h>

namespace mailoauth::imap {
namespace {

using namespace std::chrono;
using WallTime = core::Clock::WallTime;

WallTime at(int y, unsigned m, unsigned d, int h, int min, int s) {
  return WallTime(sys_days(year(y) / m / d) + hours(h) + minutes(min) + seconds(s));
}

TEST(DateTimeTest, FormatsUtcWithAZeroPaddedDay) {
  EXPECT_EQ(format_internal_date(at(2026, 1, 2, 3, 4, 5)), "02-Jan-2026 03:04:05 +0000");
  EXPECT_EQ(format_internal_date(at(1999, 12, 31, 23, 59, 59)), "31-Dec-1999 23:59:59 +0000");
  // sub-second parts are dropped, not rounded
  EXPECT_EQ(format_internal_date(at(2026, 7, 17, 0, 0, 0) + milliseconds(999)),
            "17-Jul-2026 00:00:00 +0000");
}

TEST(DateTimeTest, ParsesWithTheZoneApplied) {
  EXPECT_EQ(parse_internal_date("17-Jul-1996 02:44:25 -0700").value(), at(1996, 7, 17, 9, 44, 25));
  EXPECT_EQ(parse_internal_date("17-Jul-1996 02:44:25 +0230").value(), at(1996, 7, 17, 0, 14, 25));
  EXPECT_EQ(parse_internal_date(" 7-Feb-2026 21:52:25 +0000").value(), at(2026, 2, 7, 21, 52, 25));
  EXPECT_EQ(parse_internal_date("7-Feb-2026 21:52:25 +0000").value(), at(2026, 2, 7, 21, 52, 25));
}

TEST(DateTimeTest, RoundTrips) {
  const WallTime time = at(2024, 2, 29, 12, 0, 1);
  EXPECT_EQ(parse_internal_date(format_internal_date(time)).value(), time);
}

TEST(DateTimeTest, RefusesBadFields) {
  for (std::string_view bad :
       {"", "17-Jux-1996 02:44:25 -0700", "30-Feb-2026 02:44:25 +0000",
        "17-Jul-1996 24:00:00 +0000", "17-Jul-1996 02:60:25 +0000", "17-Jul-1996 02:44:25 *0700",
        "17-Jul-1996 02:44:25 -07000", "17-Jul-1996 02:44:25", "00-Jul-1996 02:44:25 +0000",
        "17-jul-1996 02:44:25 +0000", "17-Jul-19x6 02:44:25 +0000", "17-Jul-1996 02:44:25 +0260",
        "17-Jul-1996T02:44:25 +0000"}) {
    auto parsed = parse_internal_date(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code(), "imap.bad_date");
  }
}

}  // namespace
}  // namespace mailoauth::imap
