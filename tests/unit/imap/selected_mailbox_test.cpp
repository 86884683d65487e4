// EXAMINE's answer as Dovecot sends it, applied response by response, then
// later EXISTS and EXPUNGE.
#include "mailoauth/imap/selected_mailbox.hpp"

#include <gtest/gtest.h>

#include "mailoauth/imap/response_parser.hpp"

namespace mailoauth::imap {
namespace {

TEST(SelectedMailboxTest, DovecotExamineAnswer) {
  ResponseParser parser;
  auto first = parser.feed(
      "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
      "* OK [PERMANENTFLAGS ()] Read-only mailbox.\r\n"
      "* 3 EXISTS\r\n"
      "* 1 RECENT\r\n"
      "* OK [UNSEEN 2] First unseen.\r\n"
      "* OK [UIDVALIDITY 1764700000] UIDs valid\r\n"
      "* OK [UIDNEXT 4] Predicted next UID\r\n"
      "* OK [HIGHESTMODSEQ 7] Highest\r\n"
      "M3 OK [READ-ONLY] Examine completed (0.001 + 0.000 secs).\r\n"
      "* OK [ALERT] unrelated\r\n");
  SelectedMailbox mailbox;
  int applied = 0;
  auto outcome = first;
  while (outcome && *outcome) {
    applied += apply_to_selected(mailbox, **outcome) ? 1 : 0;
    outcome = parser.next();
  }
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(applied, 9);
  EXPECT_EQ(mailbox.exists, 3u);
  EXPECT_EQ(mailbox.recent, 1u);
  EXPECT_EQ(mailbox.first_unseen, 2u);
  EXPECT_EQ(mailbox.uidvalidity, 1764700000u);
  EXPECT_EQ(mailbox.uidnext, 4u);
  EXPECT_EQ(mailbox.highest_modseq, 7u);
  EXPECT_EQ(mailbox.flags.size(), 5u);
  EXPECT_TRUE(mailbox.permanent_flags.empty());
  EXPECT_TRUE(mailbox.read_only);

  auto later = parser.feed("* 5 EXISTS\r\n");
  ASSERT_TRUE(later && *later);
  apply_to_selected(mailbox, **later);
  EXPECT_EQ(mailbox.exists, 5u);
  SelectedMailbox empty;
  auto expunge = parser.feed("* 1 EXPUNGE\r\n");
  ASSERT_TRUE(expunge && *expunge);
  apply_to_selected(mailbox, **expunge);
  apply_to_selected(empty, **expunge);
  EXPECT_EQ(mailbox.exists, 4u);
  EXPECT_EQ(empty.exists, 0u) << "never below zero";
}

}  // namespace
}  // namespace mailoauth::imap
