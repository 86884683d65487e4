// Go's time layouts as check-mail prints them (time.RFC3339 with the
// message's offset, "2006-01-02 15:04:05", "2006-01-02-15_04").
#include "mailoauth/compat/go_time.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

using namespace std::chrono_literals;
const core::Clock::WallTime kTime = core::Clock::WallTime(std::chrono::seconds(1'796'237'381));

TEST(GoTimeTest, Rfc3339WithOffsets) {
  EXPECT_EQ(format_go_rfc3339(zoned(kTime, 0s)), "2026-12-02T18:49:41Z");
  EXPECT_EQ(format_go_rfc3339(zoned(kTime, 1h)), "2026-12-02T19:49:41+01:00");
  EXPECT_EQ(format_go_rfc3339(zoned(kTime, -5h)), "2026-12-02T13:49:41-05:00");
  EXPECT_EQ(format_go_rfc3339(zoned(kTime, 5h + 30min)), "2026-12-03T00:19:41+05:30");
  EXPECT_EQ(format_go_rfc3339(zoned(kTime + 500ms, 0s)), "2026-12-02T18:49:41Z");
}

TEST(GoTimeTest, ZeroTime) {
  ZonedTime unknown;
  unknown.known = false;
  EXPECT_EQ(format_go_rfc3339(unknown), "0001-01-01T00:00:00Z");
}

TEST(GoTimeTest, ReportLayouts) {
  EXPECT_EQ(format_go_report_time(zoned(kTime, 1h)), "2026-12-02 19:49:41");
  EXPECT_EQ(format_go_file_stamp(zoned(kTime, 1h)), "2026-12-02-19_49");
  EXPECT_EQ(format_go_file_stamp(zoned(kTime, -19h)), "2026-12-01-23_49");
}

}  // namespace
}  // namespace mailoauth::compat
