// FETCH responses as item maps: RFC 3501 section 8's FETCH, header sections
// read from literals, and the item shapes that are refused.
#include "mailoauth/imap/fetch_data.hpp"

#include <gtest/gtest.h>

#include "mailoauth/imap/response_parser.hpp"

#include "parse_response.hpp"

namespace mailoauth::imap {
namespace {

using testing::parse;

TEST(FetchDataTest, Rfc3501Fetch) {
  auto fetch = parse_fetch(
      parse("* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
            "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
            "\"IMAP4rev1 WG mtg summary and minutes\" "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
            "((NIL NIL \"imap\" \"cac.washington.edu\")) "
            "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\") "
            "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
            "\"<B27397-0100000@cac.washington.edu>\") "
            "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"));
  ASSERT_TRUE(fetch.has_value()) << fetch.error().message();
  EXPECT_EQ(fetch->sequence_number, 12u);
  EXPECT_EQ(fetch->flags(), (std::vector<std::string>{"\\Seen"}));
  EXPECT_EQ(fetch->internal_date(), "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(fetch->rfc822_size(), 4286u);
  EXPECT_FALSE(fetch->uid().has_value());
  ASSERT_NE(fetch->envelope(), nullptr);
  EXPECT_EQ(fetch->envelope()->list.at(1).text, "IMAP4rev1 WG mtg summary and minutes");
  ASSERT_NE(fetch->find("body"), nullptr);
  EXPECT_TRUE(fetch->find("BODY")->is_list());
}

TEST(FetchDataTest, HeaderSectionFromALiteral) {
  auto fetch =
      parse_fetch(parse("* 3 FETCH (UID 42 BODY[HEADER.FIELDS (SUBJECT FROM)] {36}\r\n"
                        "Subject: hi\r\nFrom: a@example.com\r\n\r\n BODY[TEXT]<0> NIL)\r\n"));
  ASSERT_TRUE(fetch.has_value()) << fetch.error().message();
  EXPECT_EQ(fetch->uid(), 42u);
  const Value* header = fetch->find("body[header.fields (subject from)]");
  ASSERT_NE(header, nullptr);
  EXPECT_EQ(header->text, "Subject: hi\r\nFrom: a@example.com\r\n\r\n");
  EXPECT_TRUE(header->from_literal);
  ASSERT_NE(fetch->find("BODY[TEXT]<0>"), nullptr);
  EXPECT_TRUE(fetch->find("BODY[TEXT]<0>")->is_nil());
}

TEST(FetchDataTest, RefusesWrongShapes) {
  for (std::string_view bad : {
           "* FETCH (UID 1)\r\n",
           "* 1 FETCH UID 1\r\n",
           "* 1 FETCH (UID)\r\n",
           "* 1 FETCH (UID 99999999999999999999)\r\n",
           "* 1 FETCH (UID x)\r\n",
           "* 1 FETCH (RFC822.SIZE \"12\")\r\n",
           "* 1 FETCH (FLAGS \\Seen)\r\n",
           "* 1 FETCH (FLAGS (\"x\"))\r\n",
           "* 1 FETCH (INTERNALDATE 17)\r\n",
           "* 1 FETCH (ENVELOPE (NIL NIL))\r\n",
           "* 1 FETCH (BODY[] (x))\r\n",
           "* 1 FETCH (\"UID\" 1)\r\n",
           "* 1 FETCH (UID 1) (UID 2)\r\n",
       }) {
    auto fetch = parse_fetch(parse(bad));
    EXPECT_FALSE(fetch.has_value()) << bad;
    if (!fetch) {
      EXPECT_EQ(fetch.error().code(), "imap.bad_data");
    }
  }
}

}  // namespace
}  // namespace mailoauth::imap
