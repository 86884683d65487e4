// LIST, STATUS, SEARCH and ESEARCH responses read into their structs: RFC 3501
// and RFC 4731 examples, Exchange's folder names, modified UTF-7 names, and
// the shapes that are refused.
#include "mailoauth/imap/mailbox_data.hpp"

#include <gtest/gtest.h>

#include "mailoauth/imap/response_parser.hpp"

#include "parse_response.hpp"

namespace mailoauth::imap {
namespace {

using testing::parse;

TEST(MailboxDataTest, ListEntries) {
  auto junk = parse_list(parse("* LIST (\\HasNoChildren \\Junk) \"/\" \"Junk Email\"\r\n"));
  ASSERT_TRUE(junk.has_value()) << junk.error().message();
  EXPECT_EQ(junk->flags, (std::vector<std::string>{"\\HasNoChildren", "\\Junk"}));
  EXPECT_TRUE(junk->has_flag("\\junk"));
  EXPECT_EQ(junk->delimiter, '/');
  EXPECT_EQ(junk->name, "Junk Email");

  // RFC 3501 section 7.2.2 and 5.1.3.
  auto flat = parse_list(parse("* LIST (\\Noselect) NIL ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n"));
  ASSERT_TRUE(flat.has_value()) << flat.error().message();
  EXPECT_FALSE(flat->delimiter.has_value());
  EXPECT_EQ(flat->name, "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e");
  EXPECT_EQ(flat->name_as_sent, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");

  auto backslash = parse_list(parse("* LSUB () \"\\\\\" {5}\r\nA&-B-\r\n"));
  ASSERT_TRUE(backslash.has_value());
  EXPECT_EQ(backslash->delimiter, '\\');
  EXPECT_EQ(backslash->name, "A&B-");

  auto utf8 = parse_list(parse("* LIST () \"/\" \"Caf\xc3\xa9 &\"\r\n"), MailboxNameEncoding::Utf8);
  ASSERT_TRUE(utf8.has_value());
  EXPECT_EQ(utf8->name, "Caf\xc3\xa9 &");

  // LIST-EXTENDED data after the name is skipped.
  EXPECT_TRUE(parse_list(parse("* LIST () \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n")));
}

TEST(MailboxDataTest, ListRefusals) {
  for (std::string_view bad : {
           "* LIST (\\HasNoChildren) \"/\"\r\n",
           "* LIST \\HasNoChildren \"/\" INBOX\r\n",
           "* LIST (\"x\") \"/\" INBOX\r\n",
           "* LIST () \"//\" INBOX\r\n",
           "* LIST () / INBOX\r\n",
           "* LIST () \"/\" (INBOX)\r\n",
           "* LIST () \"/\" &U,BTFw\r\n",
           "* STATUS INBOX ()\r\n",
       }) {
    EXPECT_FALSE(parse_list(parse(bad)).has_value()) << bad;
  }
}

TEST(MailboxDataTest, Status) {
  auto status = parse_status(
      parse("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 3857529045 UNSEEN 3 "
            "RECENT 0 SIZE 12345)\r\n"));
  ASSERT_TRUE(status.has_value()) << status.error().message();
  EXPECT_EQ(status->name, "blurdybloop");
  EXPECT_EQ(status->messages, 231u);
  EXPECT_EQ(status->uidnext, 44292u);
  EXPECT_EQ(status->uidvalidity, 3857529045u);
  EXPECT_EQ(status->unseen, 3u);
  EXPECT_EQ(status->recent, 0u);
  auto partial = parse_status(parse("* STATUS \"Junk Email\" (MESSAGES 0)\r\n"));
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->name, "Junk Email");
  EXPECT_FALSE(partial->unseen.has_value());
  EXPECT_EQ(parse_status(parse("* STATUS &AOk- (MESSAGES 1)\r\n"))->name, "\u00e9");
}

TEST(MailboxDataTest, StatusRefusals) {
  for (std::string_view bad : {
           "* STATUS INBOX\r\n",
           "* STATUS INBOX (MESSAGES)\r\n",
           "* STATUS INBOX (MESSAGES x)\r\n",
           "* STATUS INBOX (MESSAGES 99999999999999999999)\r\n",
           "* STATUS INBOX (\"MESSAGES\" 1)\r\n",
           "* STATUS (MESSAGES 1) INBOX\r\n",
           "* LIST () \"/\" INBOX\r\n",
       }) {
    EXPECT_FALSE(parse_status(parse(bad)).has_value()) << bad;
  }
}

TEST(MailboxDataTest, Search) {
  EXPECT_EQ(*parse_search(parse("* SEARCH 2 84 882\r\n")),
            (std::vector<std::uint64_t>{2, 84, 882}));
  EXPECT_TRUE(parse_search(parse("* SEARCH\r\n"))->empty());
  EXPECT_EQ(*parse_search(parse("* SEARCH 2 5 (MODSEQ 917162500)\r\n")),
            (std::vector<std::uint64_t>{2, 5}));
  EXPECT_FALSE(parse_search(parse("* SEARCH 2 x\r\n")).has_value());
  EXPECT_FALSE(parse_search(parse("* SEARCH 18446744073709551616\r\n")).has_value());
}

TEST(MailboxDataTest, ExtendedSearch) {
  // RFC 4731 section 3.1.
  auto result = parse_esearch(parse("* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n"));
  ASSERT_TRUE(result.has_value()) << result.error().message();
  EXPECT_EQ(result->tag, "A282");
  EXPECT_FALSE(result->uid);
  EXPECT_EQ(result->min, 2u);
  EXPECT_EQ(result->count, 3u);
  EXPECT_TRUE(result->all.empty());

  auto all = parse_esearch(parse("* ESEARCH (TAG \"A283\") UID ALL 2,10:11 MODSEQ 5\r\n"));
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_TRUE(all->uid);
  EXPECT_EQ(all->all, (std::vector<NumberRange>{{2, 2}, {10, 11}}));
  EXPECT_EQ(*expand_ranges(all->all, 3), (std::vector<std::uint64_t>{2, 10, 11}));
  EXPECT_FALSE(expand_ranges(all->all, 2).has_value());

  auto single = parse_esearch(parse("* ESEARCH UID ALL 7\r\n"));
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(single->all, (std::vector<NumberRange>{{7, 7}}));
  EXPECT_TRUE(parse_esearch(parse("* ESEARCH (TAG \"A1\") UID\r\n"))->all.empty());

  for (std::string_view bad :
       {"* ESEARCH (TAG) UID\r\n", "* ESEARCH ALL\r\n", "* ESEARCH ALL \"1:3\"\r\n",
        "* ESEARCH ALL 1:*\r\n", "* ESEARCH ALL 0\r\n", "* ESEARCH ALL 1,\r\n",
        "* ESEARCH COUNT x\r\n", "* ESEARCH (X) 1\r\n"}) {
    EXPECT_FALSE(parse_esearch(parse(bad)).has_value()) << bad;
  }
}

TEST(MailboxDataTest, NumberSets) {
  EXPECT_EQ(*parse_number_set("11:10"), (std::vector<NumberRange>{{10, 11}}));
  EXPECT_EQ(*parse_number_set("1:100000"), (std::vector<NumberRange>{{1, 100000}}));
  EXPECT_FALSE(parse_number_set("").has_value());
  EXPECT_FALSE(parse_number_set("1::2").has_value());
  EXPECT_FALSE(parse_number_set("18446744073709551616").has_value());
  // A range as wide as 64 bits is refused by the bound, not allocated.
  auto whole = parse_number_set("1:18446744073709551615");
  ASSERT_TRUE(whole.has_value());
  EXPECT_FALSE(expand_ranges(*whole, 1'000'000).has_value());
}

}  // namespace
}  // namespace mailoauth::imap
