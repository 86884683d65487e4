// list-emails' batches: every UID exactly once, in order, at most `batch`
// per UID FETCH, ranges split and joined as needed.
#include "mailoauth/compat/email_listing.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

using imap::NumberRange;

TEST(EmailListing, UidSetBatches) {
  EXPECT_TRUE(uid_set_batches({}, 500).empty());
  EXPECT_EQ(uid_set_batches({{1, 3}}, 500), (std::vector<std::string>{"1:3"}));
  EXPECT_EQ(uid_set_batches({{1, 5}, {9, 9}, {12, 20}}, 4),
            (std::vector<std::string>{"1:4", "5,9,12:13", "14:17", "18:20"}));
  EXPECT_EQ(uid_set_batches({{7, 7}, {8, 8}}, 1), (std::vector<std::string>{"7", "8"}));
}

TEST(EmailListing, HundredThousandMessagesInBoundedBatches) {
  const auto sets = uid_set_batches({{1, 100'000}}, 500);
  ASSERT_EQ(sets.size(), 200u);
  EXPECT_EQ(sets.front(), "1:500");
  EXPECT_EQ(sets.back(), "99501:100000");
}

}  // namespace
}  // namespace mailoauth::compat
