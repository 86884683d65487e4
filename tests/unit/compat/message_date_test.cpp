// Date headers as mail carries them, shown in their own offset (RFC 3339).
#include "mailoauth/compat/message_date.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

std::string shown(std::string_view header) {
  return format_go_rfc3339(parse_message_date(header));
}

TEST(MessageDate, ModernAndObsoleteForms) {
  EXPECT_EQ(shown("Mon, 7 Feb 1994 21:52:25 -0800"), "1994-02-07T21:52:25-08:00");
  EXPECT_EQ(shown("7 Feb 1994 21:52:25 +0000"), "1994-02-07T21:52:25Z");
  EXPECT_EQ(shown("Tue, 01 Dec 2026 10:00 +0130"), "2026-12-01T10:00:00+01:30");
  EXPECT_EQ(shown("Fri, 21 Nov 97 09:55:06 GMT"), "1997-11-21T09:55:06Z");
  EXPECT_EQ(shown("Thu, 5 Mar 2026 08:01:02 +0000 (UTC)"), "2026-03-05T08:01:02Z");
  EXPECT_EQ(shown("Thu, 5 Mar 2026 08:01:02 EST"), "2026-03-05T08:01:02-05:00");
}

TEST(MessageDate, GarbageIsGoZeroTime) {
  EXPECT_FALSE(parse_message_date("").known);
  EXPECT_FALSE(parse_message_date("yesterday").known);
  EXPECT_FALSE(parse_message_date("31 Feb 2026 10:00:00 +0000").known);
  EXPECT_FALSE(parse_message_date("1 Jan 2026 25:00:00 +0000").known);
  EXPECT_FALSE(parse_message_date("1 Jan 2026 10:00:00 +zz").known);
}

}  // namespace
}  // namespace mailoauth::compat
