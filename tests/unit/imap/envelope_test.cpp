// ENVELOPE from real servers' answers: RFC 3501's example, NIL fields, groups,
// and wrong shapes refused.
#include "mailoauth/imap/envelope.hpp"

#include <gtest/gtest.h>

#include "mailoauth/imap/fetch_data.hpp"

#include "parse_response.hpp"

namespace mailoauth::imap {
namespace {

Value envelope_of(std::string_view bytes) {
  auto fetch = parse_fetch(testing::parse(bytes));
  EXPECT_TRUE(fetch.has_value());
  if (!fetch || fetch->envelope() == nullptr) return Value();
  return *fetch->envelope();
}

TEST(EnvelopeTest, Rfc3501Example) {
  auto envelope = parse_envelope(
      envelope_of("* 12 FETCH (ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
                  "\"IMAP4rev1 WG mtg summary and minutes\" "
                  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                  "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                  "((NIL NIL \"imap\" \"cac.washington.edu\")) "
                  "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" "
                  "\"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\"))\r\n"));
  ASSERT_TRUE(envelope.has_value()) << envelope.error().describe();
  EXPECT_EQ(envelope->date, "Wed, 17 Jul 1996 02:23:25 -0700 (PDT)");
  EXPECT_EQ(envelope->subject, "IMAP4rev1 WG mtg summary and minutes");
  ASSERT_EQ(envelope->from.size(), 1u);
  EXPECT_EQ(envelope->from[0].name, "Terry Gray");
  EXPECT_EQ(envelope->from[0].address(), "gray@cac.washington.edu");
  ASSERT_EQ(envelope->to.size(), 1u);
  EXPECT_FALSE(envelope->to[0].name.has_value());
  ASSERT_EQ(envelope->cc.size(), 2u);
  EXPECT_EQ(envelope->cc[1].address(), "KLENSIN@MIT.EDU");
  EXPECT_TRUE(envelope->bcc.empty());
  EXPECT_FALSE(envelope->in_reply_to.has_value());
  EXPECT_EQ(envelope->message_id, "<B27397-0100000@cac.washington.edu>");
}

TEST(EnvelopeTest, NilEverywhereAndGroupsSkipped) {
  auto empty = parse_envelope(
      envelope_of("* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_FALSE(empty->subject.has_value());
  EXPECT_TRUE(empty->from.empty());
  // To: undisclosed-recipients:; plus one real address, with a literal subject.
  auto group = parse_envelope(envelope_of(
      "* 2 FETCH (ENVELOPE (NIL {5}\r\nhello ((NIL NIL \"a\" \"b.test\")) NIL NIL "
      "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)(\"C\" NIL \"c\" \"d.test\")) "
      "NIL NIL NIL NIL))\r\n"));
  ASSERT_TRUE(group.has_value()) << group.error().describe();
  EXPECT_EQ(group->subject, "hello");
  ASSERT_EQ(group->to.size(), 1u);
  EXPECT_EQ(group->to[0].address(), "c@d.test");
}

TEST(EnvelopeTest, RefusesWrongShapes) {
  EXPECT_FALSE(parse_envelope(Value::nil()).has_value());
  EXPECT_FALSE(parse_envelope(Value::list_of({Value::nil()})).has_value());
  std::vector<Value> fields(10, Value::nil());
  fields[1] = Value::list_of({});  // subject as a list
  EXPECT_EQ(parse_envelope(Value::list_of(fields)).error().code(), "imap.bad_data");
  fields[1] = Value::nil();
  fields[2] = Value::list_of({Value::list_of({Value::nil(), Value::nil()})});  // short address
  EXPECT_FALSE(parse_envelope(Value::list_of(fields)).has_value());
  fields[2] = Value::atom("x");
  EXPECT_FALSE(parse_envelope(Value::list_of(fields)).has_value());
}

}  // namespace
}  // namespace mailoauth::imap
