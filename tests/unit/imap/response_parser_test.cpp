// The response parser against RFC 3501 section 8's example session byte for
// byte, real greetings of Dovecot and Exchange Online, literals split at every
// byte boundary, each limit at and just past its value, and hostile input
// (NUL, unterminated quotes, endless lines, absurd literals, deep nesting).
#include "mailoauth/imap/response_parser.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mailoauth::imap {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// Feeds `bytes` in chunks of `chunk` bytes and collects every response.
core::Result<std::vector<Response>> parse_all(std::string_view bytes, std::size_t chunk = 0,
                                              ParserLimits limits = {}) {
  ResponseParser parser(limits);
  std::vector<Response> responses;
  if (chunk == 0) chunk = bytes.size() == 0 ? 1 : bytes.size();
  for (std::size_t offset = 0; offset < bytes.size(); offset += chunk) {
    auto outcome = parser.feed(bytes.substr(offset, chunk));
    while (true) {
      if (!outcome) return core::fail(outcome.error());
      if (!*outcome) break;
      responses.push_back(std::move(**outcome));
      outcome = parser.next();
    }
  }
  if (parser.buffered() != 0) {
    return core::fail(core::ErrorClass::Bug, "test.leftover", "bytes left in the parser");
  }
  return responses;
}

Response parse_one(std::string_view bytes) {
  auto responses = parse_all(bytes);
  EXPECT_TRUE(responses.has_value()) << responses.error().message();
  if (!responses || responses->size() != 1) {
    ADD_FAILURE() << "expected one response from " << bytes;
    return {};
  }
  return std::move(responses->front());
}

std::string error_code_of(std::string_view bytes, ParserLimits limits = {}) {
  auto responses = parse_all(bytes, 0, limits);
  if (responses) return "no error";
  return responses.error().code();
}

// RFC 3501 section 8, the server's side of the example session.
constexpr std::string_view kRfcSession =
    "* OK IMAP4rev1 Service Ready\r\n"
    "a001 OK LOGIN completed\r\n"
    "* 18 EXISTS\r\n"
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
    "* 2 RECENT\r\n"
    "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
    "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
    "a002 OK [READ-WRITE] SELECT completed\r\n"
    "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
    "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
    "\"IMAP4rev1 WG mtg summary and minutes\" "
    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
    "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
    "((NIL NIL \"imap\" \"cac.washington.edu\")) "
    "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\") "
    "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
    "\"<B27397-0100000@cac.washington.edu>\") "
    "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"
    "a003 OK FETCH completed\r\n"
    "* 12 FETCH (BODY[HEADER] {342}\r\n"
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
    "From: Terry Gray <gray@cac.washington.edu>\r\n"
    "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
    "To: imap@cac.washington.edu\r\n"
    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"
    "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
    "\r\n"
    ")\r\n"
    "a004 OK FETCH completed\r\n"
    "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
    "a005 OK +FLAGS completed\r\n"
    "* BYE IMAP4rev1 server terminating connection\r\n"
    "a006 OK LOGOUT completed\r\n";

void check_rfc_session(const std::vector<Response>& responses) {
  ASSERT_EQ(responses.size(), 16u);
  EXPECT_EQ(responses[0].kind, ResponseKind::Untagged);
  EXPECT_EQ(responses[0].status, Status::Ok);
  EXPECT_EQ(responses[0].text, "IMAP4rev1 Service Ready");
  EXPECT_EQ(responses[1].kind, ResponseKind::Tagged);
  EXPECT_EQ(responses[1].tag, "a001");
  EXPECT_EQ(responses[1].text, "LOGIN completed");
  EXPECT_TRUE(responses[2].is_data("EXISTS"));
  EXPECT_EQ(responses[2].number, 18u);
  ASSERT_EQ(responses[3].values.size(), 1u);
  EXPECT_EQ(to_display(responses[3].values[0]), "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
  EXPECT_EQ(responses[4].number, 2u);
  EXPECT_TRUE(responses[4].is_data("RECENT"));
  ASSERT_TRUE(responses[5].code.has_value());
  EXPECT_EQ(responses[5].code->name, "UNSEEN");
  EXPECT_EQ(responses[5].code->arguments, std::vector<Value>{Value::number_value(17)});
  EXPECT_EQ(responses[5].text, "Message 17 is the first unseen message");
  EXPECT_EQ(responses[6].code->arguments.at(0).number, 3857529045u);
  EXPECT_EQ(responses[7].code->name, "READ-WRITE");
  EXPECT_TRUE(responses[7].code->arguments.empty());
  EXPECT_EQ(responses[7].text, "SELECT completed");

  const Response& full = responses[8];
  EXPECT_TRUE(full.is_data("FETCH"));
  EXPECT_EQ(full.number, 12u);
  ASSERT_EQ(full.values.size(), 1u);
  const auto& items = full.values[0].list;
  ASSERT_EQ(items.size(), 10u);
  EXPECT_EQ(items[3].text, "17-Jul-1996 02:44:25 -0700");
  EXPECT_EQ(items[5].number, 4286u);
  const Value& envelope = items[7];
  ASSERT_EQ(envelope.list.size(), 10u);
  EXPECT_EQ(envelope.list[1].text, "IMAP4rev1 WG mtg summary and minutes");
  EXPECT_EQ(to_display(envelope.list[6]),
            "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\") "
            "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\"))");
  EXPECT_TRUE(envelope.list[7].is_nil());
  EXPECT_EQ(to_display(items[9]),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92)");

  const Response& header = responses[10];
  const auto& header_items = header.values.at(0).list;
  ASSERT_EQ(header_items.size(), 2u);
  EXPECT_EQ(header_items[0], Value::atom("BODY[HEADER]"));
  EXPECT_TRUE(header_items[1].from_literal);
  EXPECT_EQ(header_items[1].text.size(), 342u);
  EXPECT_TRUE(header_items[1].text.starts_with("Date: Wed, 17 Jul 1996"));
  EXPECT_TRUE(header_items[1].text.ends_with("CHARSET=US-ASCII\r\n\r\n"));

  EXPECT_EQ(responses[14].status, Status::Bye);
  EXPECT_EQ(responses[15].tag, "a006");
}

TEST(ResponseParserTest, Rfc3501ExampleSessionInOneRead) {
  auto responses = parse_all(kRfcSession);
  ASSERT_TRUE(responses.has_value()) << responses.error().message();
  check_rfc_session(*responses);
}

TEST(ResponseParserTest, Rfc3501ExampleSessionInEveryChunkSize) {
  for (std::size_t chunk = 1; chunk <= 64; ++chunk) {
    auto responses = parse_all(kRfcSession, chunk);
    ASSERT_TRUE(responses.has_value()) << chunk << ": " << responses.error().message();
    ASSERT_EQ(*responses, *parse_all(kRfcSession)) << chunk;
  }
}

TEST(ResponseParserTest, LiteralSplitAtEveryByteBoundary) {
  const std::string bytes = "* 1 FETCH (UID 7 BODY[] {12}\r\nab\r\ncd)\r\n{x} UID 8)\r\nA1 OK\r\n";
  const auto whole = parse_all(bytes);
  ASSERT_TRUE(whole.has_value()) << whole.error().message();
  ASSERT_EQ(whole->size(), 2u);
  EXPECT_EQ(whole->front().values.at(0).list.at(3).text, "ab\r\ncd)\r\n{x}");
  for (std::size_t split = 0; split <= bytes.size(); ++split) {
    ResponseParser parser;
    std::vector<Response> responses;
    for (std::string_view part :
         {std::string_view(bytes).substr(0, split), std::string_view(bytes).substr(split)}) {
      auto outcome = parser.feed(part);
      for (; outcome && *outcome; outcome = parser.next()) responses.push_back(**outcome);
      ASSERT_TRUE(outcome.has_value()) << split << ": " << outcome.error().message();
    }
    EXPECT_EQ(responses, *whole) << "split at " << split;
  }
}

TEST(ResponseParserTest, SeveralResponsesInOneFeedComeOutOneByOne) {
  ResponseParser parser;
  auto first = parser.feed("* 3 EXISTS\r\n* 0 RECENT\r\nA1 OK done\r\n* PART");
  ASSERT_TRUE(first && *first);
  EXPECT_EQ((*first)->number, 3u);
  auto second = parser.next();
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->number, 0u);
  auto third = parser.next();
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->tag, "A1");
  auto fourth = parser.next();
  ASSERT_TRUE(fourth.has_value());
  EXPECT_FALSE(fourth->has_value());
  EXPECT_EQ(parser.buffered(), 6u);
  auto fifth = parser.feed("IAL\r\n");
  ASSERT_TRUE(fifth && *fifth);
  EXPECT_EQ((*fifth)->name, "PARTIAL");
}

TEST(ResponseParserTest, DovecotGreetingWithCapabilityCode) {
  const Response greeting = parse_one(
      "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS "
      "AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\r\n");
  EXPECT_EQ(greeting.status, Status::Ok);
  ASSERT_TRUE(greeting.code.has_value());
  EXPECT_EQ(greeting.code->name, "CAPABILITY");
  ASSERT_EQ(greeting.code->arguments.size(), 10u);
  EXPECT_EQ(greeting.code->arguments[6], Value::atom("LITERAL+"));
  EXPECT_EQ(greeting.code->text,
            "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN "
            "AUTH=LOGIN");
  EXPECT_EQ(greeting.text, "Dovecot (Debian) ready.");
}

TEST(ResponseParserTest, ExchangeGreetingKeepsItsBracketedTrailerAsText) {
  const Response greeting = parse_one(
      "* OK The Microsoft Exchange IMAP4 service is ready. "
      "[TQBOADIAUABSADAAMgBDAEEAMAAwADEAMgAuAGEAcABjAHAAcgBkADAAMgAuAHAAcgBvAGQA]\r\n");
  EXPECT_FALSE(greeting.code.has_value());
  EXPECT_EQ(greeting.text,
            "The Microsoft Exchange IMAP4 service is ready. "
            "[TQBOADIAUABSADAAMgBDAEEAMAAwADEAMgAuAGEAcABjAHAAcgBkADAAMgAuAHAAcgBvAGQA]");
  const Response capability = parse_one(
      "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS ID UNSELECT "
      "CHILDREN IDLE NAMESPACE LITERAL+\r\n");
  EXPECT_TRUE(capability.is_data("CAPABILITY"));
  EXPECT_EQ(capability.values.size(), 12u);
}

TEST(ResponseParserTest, ExchangeFailures) {
  const Response failed = parse_one("a2 NO AUTHENTICATE failed.\r\n");
  EXPECT_EQ(failed.status, Status::No);
  EXPECT_EQ(failed.text, "AUTHENTICATE failed.");
  const Response not_connected = parse_one("a3 BAD User is authenticated but not connected.\r\n");
  EXPECT_EQ(not_connected.status, Status::Bad);
  EXPECT_EQ(not_connected.text, "User is authenticated but not connected.");
  const Response dovecot = parse_one("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
  EXPECT_EQ(dovecot.code->name, "AUTHENTICATIONFAILED");
}

TEST(ResponseParserTest, ResponseCodes) {
  EXPECT_EQ(parse_one("* OK [UIDNEXT 4392] Predicted next UID\r\n").code->arguments.at(0).number,
            4392u);
  const Response flags = parse_one("* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n");
  EXPECT_EQ(to_display(flags.code->arguments.at(0)), "(\\Deleted \\Seen \\*)");
  const Response alert = parse_one("* OK [ALERT] System shutdown in 10 minutes\r\n");
  EXPECT_EQ(alert.code->name, "ALERT");
  EXPECT_EQ(alert.text, "System shutdown in 10 minutes");
  EXPECT_EQ(parse_one("A1 OK [READ-ONLY]\r\n").code->name, "READ-ONLY");
  EXPECT_EQ(parse_one("A1 NO [TRYCREATE] No such mailbox\r\n").code->name, "TRYCREATE");
  const Response copy = parse_one("A1 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n");
  EXPECT_EQ(to_display(Value::list_of(copy.code->arguments)), "(38505 304,319:320 3956:3958)");
  // A generic code's free text that is no values at all is kept raw.
  const Response odd = parse_one("* OK [X-ODD \"unbalanced] text\r\n");
  EXPECT_EQ(odd.code->name, "X-ODD");
  EXPECT_EQ(odd.code->text, "\"unbalanced");
  EXPECT_TRUE(odd.code->arguments.empty());
  EXPECT_EQ(odd.text, "text");
}

TEST(ResponseParserTest, StatusTextIsRawEvenWhenItLooksLikeALiteral) {
  const Response ok = parse_one("A1 OK done {5}\r\n");
  EXPECT_EQ(ok.text, "done {5}");
  EXPECT_EQ(parse_one("A1 OK\r\n").text, "");
  EXPECT_EQ(parse_one("* PREAUTH\r\n").status, Status::Preauth);
}

TEST(ResponseParserTest, Continuations) {
  const Response plain = parse_one("+ Ready for additional command text\r\n");
  EXPECT_EQ(plain.kind, ResponseKind::Continuation);
  EXPECT_EQ(plain.text, "Ready for additional command text");
  const Response challenge = parse_one("+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=\r\n");
  EXPECT_EQ(challenge.text, "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=");
  EXPECT_EQ(parse_one("+\r\n").text, "");
  EXPECT_EQ(parse_one("+ \r\n").text, "");
}

TEST(ResponseParserTest, UntaggedData) {
  const Response list = parse_one("* LIST (\\HasNoChildren \\Junk) \"/\" \"Junk Email\"\r\n");
  EXPECT_EQ(to_display(Value::list_of(list.values)),
            "((\\HasNoChildren \\Junk) \"/\" \"Junk Email\")");
  const Response status = parse_one("* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n");
  EXPECT_EQ(to_display(Value::list_of(status.values)),
            "(blurdybloop (MESSAGES 231 UIDNEXT 44292))");
  EXPECT_EQ(parse_one("* SEARCH 2 84 882\r\n").values.size(), 3u);
  EXPECT_TRUE(parse_one("* SEARCH\r\n").values.empty());
  const Response esearch = parse_one("* ESEARCH (TAG \"A282\") UID MIN 2 COUNT 3 ALL 2,10:11\r\n");
  EXPECT_EQ(esearch.values.back(), Value::atom("2,10:11"));
  EXPECT_EQ(to_display(Value::list_of(parse_one("* ID (\"name\" \"Dovecot\")\r\n").values)),
            "((\"name\" \"Dovecot\"))");
  EXPECT_TRUE(parse_one("* ID NIL\r\n").values.at(0).is_nil());
  EXPECT_EQ(parse_one("* ENABLED CONDSTORE\r\n").values.at(0), Value::atom("CONDSTORE"));
  EXPECT_EQ(to_display(Value::list_of(parse_one("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n").values)),
            "(((\"\" \"/\")) NIL NIL)");
  const Response literal_name = parse_one("* LIST () \"/\" {8}\r\nJunk \"x\"\r\n");
  EXPECT_EQ(literal_name.values.at(2), Value::string("Junk \"x\"", true));
}

TEST(ResponseParserTest, FetchSections) {
  const Response fetch = parse_one(
      "* 3 FETCH (UID 9 BODY[HEADER.FIELDS (SUBJECT FROM)] {4}\r\nab\r\n "
      "BODY[HEADER.FIELDS (\"X-A]\")]<0> \"q\" BINARY[1] ~{3}\r\n\0\1\2)\r\n"s);
  const auto& items = fetch.values.at(0).list;
  ASSERT_EQ(items.size(), 8u);
  EXPECT_EQ(items[2], Value::atom("BODY[HEADER.FIELDS (SUBJECT FROM)]"));
  EXPECT_EQ(items[3].text, "ab\r\n");
  EXPECT_EQ(items[4], Value::atom("BODY[HEADER.FIELDS (\"X-A]\")]<0>"));
  EXPECT_EQ(items[6], Value::atom("BINARY[1]"));
  EXPECT_EQ(items[7].text, "\0\1\2"s);
  // BODY.PEEK and an atom with a stray '[' that is not a section.
  EXPECT_EQ(parse_one("* 1 FETCH (BODY.PEEK[TEXT]<10> NIL)\r\n").values.at(0).list.at(0).text,
            "BODY.PEEK[TEXT]<10>");
  EXPECT_EQ(parse_one("* LIST () \"/\" a[b\r\n").values.at(2), Value::atom("a[b"));
}

TEST(ResponseParserTest, QuotedStringEscapesAndNumbers) {
  const Response escaped = parse_one("* ID (\"a\\\"b\\\\c\" \"\")\r\n");
  EXPECT_EQ(escaped.values.at(0).list.at(0).text, "a\"b\\c");
  EXPECT_EQ(escaped.values.at(0).list.at(1), Value::string(""));
  const Response big = parse_one("* SEARCH 18446744073709551615 18446744073709551616\r\n");
  EXPECT_EQ(big.values.at(0).number, UINT64_MAX);
  // One past 64 bits stays an atom; the readers that need a number refuse it.
  EXPECT_EQ(big.values.at(1), Value::atom("18446744073709551616"));
  EXPECT_EQ(error_code_of("* 18446744073709551616 EXISTS\r\n"), "imap.bad_response");
}

TEST(ResponseParserTest, BareLineFeedIsAccepted) {
  EXPECT_EQ(parse_one("* 1 EXISTS\n").number, 1u);
}

TEST(ResponseParserTest, RefusesMalformedInput) {
  for (std::string_view bad : {
           "\r\n"sv,
           "*\r\n"sv,
           "A1\r\n"sv,
           "A1 FOO bar\r\n"sv,
           "A1 BYE\r\n"sv,
           "A+ OK\r\n"sv,
           "(x OK\r\n"sv,
           "+x\r\n"sv,
           "* OK[ALERT] x\r\n"sv,
           "* OK [ALERT x\r\n"sv,
           "* OK [] x\r\n"sv,
           "* ID (\"abc)\r\n"sv,
           "* ID (\"a\\b\")\r\n"sv,
           "* ID (\"abc\\\r\n"sv,
           "* FLAGS (a\r\n"sv,
           "* FLAGS a)\r\n"sv,
           "* LIST () \"/\" {5} x\r\n"sv,
           "* LIST () \"/\" {}\r\n"sv,
           "* LIST () \"/\" {5\r\n"sv,
           "* 1 EXISTS\rjunk\r\n"sv,
           "* [x\r\n"sv,
           "* 12\r\n"sv,
           "* FLAGS (\x01)\r\n"sv,
       }) {
    EXPECT_EQ(error_code_of(bad), "imap.bad_response") << bad;
  }
}

TEST(ResponseParserTest, RefusesNulOutsideLiterals) {
  EXPECT_EQ(error_code_of("* OK hello\0world\r\n"s), "imap.bad_response");
  EXPECT_EQ(error_code_of("* ID (\"a\0\")\r\n"s), "imap.bad_response");
  EXPECT_EQ(parse_one("* ID ({2}\r\n\0\0)\r\n"s).values.at(0).list.at(0).text, "\0\0"s);
}

TEST(ResponseParserTest, ErrorIsStickyAndFreesTheBuffer) {
  ResponseParser parser;
  auto outcome = parser.feed("* FLAGS a)\r\n* 1 EXISTS\r\n");
  ASSERT_FALSE(outcome.has_value());
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.buffered(), 0u);
  EXPECT_FALSE(parser.next().has_value());
  EXPECT_FALSE(parser.feed("* 2 EXISTS\r\n").has_value());
  EXPECT_EQ(parser.buffered(), 0u);
}

TEST(ResponseParserTest, LineLengthLimit) {
  ParserLimits limits;
  limits.max_line_length = 20;
  const std::string at_limit = "* " + std::string(18, 'A') + "\r\n";  // 20 bytes before CRLF
  EXPECT_EQ(error_code_of(at_limit, limits), "no error");
  EXPECT_EQ(error_code_of("* " + std::string(19, 'A') + "\r\n", limits), "imap.response_too_large");
  // Without a line feed in sight: refused as soon as the limit is passed, not at the end.
  ResponseParser parser(limits);
  auto outcome = parser.feed(std::string(20, 'A'));
  ASSERT_TRUE(outcome.has_value());
  outcome = parser.feed("A");
  ASSERT_TRUE(outcome.has_value());  // 21 bytes: a CR may still end it at 20
  outcome = parser.feed("A");
  ASSERT_FALSE(outcome.has_value());
  EXPECT_EQ(outcome.error().code(), "imap.response_too_large");
  // The default: 64 KiB.
  EXPECT_EQ(error_code_of("* " + std::string(64 * 1024 - 2, 'A') + "\r\n"), "no error");
  EXPECT_EQ(error_code_of("* " + std::string(64 * 1024 - 1, 'A') + "\r\n"),
            "imap.response_too_large");
}

TEST(ResponseParserTest, LiteralSizeLimits) {
  ParserLimits limits;
  limits.max_literal_size = 10;
  limits.max_other_literal_size = 4;
  EXPECT_EQ(error_code_of("* 1 FETCH (BODY[] {10}\r\n0123456789)\r\n", limits), "no error");
  EXPECT_EQ(error_code_of("* 1 FETCH (BODY[] {11}\r\n", limits), "imap.response_too_large");
  EXPECT_EQ(error_code_of("* LIST () \"/\" {4}\r\nabcd\r\n", limits), "no error");
  EXPECT_EQ(error_code_of("* LIST () \"/\" {5}\r\n", limits), "imap.response_too_large");
  // Absurd sizes are refused from the marker alone, before any byte is waited for.
  EXPECT_EQ(error_code_of("* 1 FETCH (BODY[] {1000000000000000000}\r\n"),
            "imap.response_too_large");
  EXPECT_EQ(error_code_of("* 1 FETCH (BODY[] {99999999999999999999999}\r\n"),
            "imap.response_too_large");
  EXPECT_EQ(error_code_of("* 1 FETCH (BODY[] {67108865}\r\n"), "imap.response_too_large");
}

TEST(ResponseParserTest, NestingDepthLimit) {
  ParserLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(error_code_of("* X (((a)))\r\n", limits), "no error");
  EXPECT_EQ(error_code_of("* X ((((a))))\r\n", limits), "imap.response_too_large");
  EXPECT_EQ(error_code_of("* X " + std::string(32, '(') + std::string(32, ')') + "\r\n"),
            "no error");
  EXPECT_EQ(error_code_of("* X " + std::string(33, '(') + std::string(33, ')') + "\r\n"),
            "imap.response_too_large");
  EXPECT_EQ(error_code_of("* X " + std::string(10000, '(') + "\r\n"), "imap.response_too_large");
  // Inside a code, values too deep are not values: the code keeps its raw text.
  EXPECT_EQ(error_code_of("* OK [X " + std::string(10000, '(') + "] x\r\n"), "no error");
}

TEST(ResponseParserTest, ListElementLimit) {
  ParserLimits limits;
  limits.max_list_elements = 3;
  EXPECT_EQ(error_code_of("* X (a b c) d e\r\n", limits), "no error");
  EXPECT_EQ(error_code_of("* X (a b c d)\r\n", limits), "imap.response_too_large");
  EXPECT_EQ(error_code_of("* X a b c d\r\n", limits), "imap.response_too_large");
  EXPECT_EQ(error_code_of("* X a b c ()\r\n", limits), "imap.response_too_large");
  EXPECT_EQ(error_code_of("* X a b c {0}\r\n\r\n", limits), "imap.response_too_large");
}

TEST(ResponseParserTest, ResponseSizeLimitStopsEndlessLiteralChains) {
  ParserLimits limits;
  limits.max_response_size = 100;
  std::string chain = "* 1 FETCH (";
  for (int i = 0; i < 30; ++i) chain += "X {0}\r\n";
  EXPECT_EQ(error_code_of(chain, limits), "imap.response_too_large");
  EXPECT_EQ(error_code_of("* 1 FETCH (BODY[] {90}\r\n", limits), "imap.response_too_large");
}

// Bytes that are not IMAP (a NUL first, then every byte value, CR and LF
// among them) give no response and a Permanent error; the parser then stays
// failed and holds nothing, so the client drops the connection.
TEST(ResponseParserTest, GarbageIsRefusedAndTheParserStaysFailed) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 256);
  ResponseParser parser;
  std::vector<Response> responses;
  auto outcome = parser.feed(garbage);
  for (; outcome && *outcome; outcome = parser.next()) responses.push_back(**outcome);
  ASSERT_FALSE(outcome.has_value()) << "garbage was taken for IMAP, or still awaits bytes";
  EXPECT_EQ(outcome.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_FALSE(outcome.error().message().empty());
  EXPECT_TRUE(responses.empty());
  EXPECT_TRUE(parser.failed());
  EXPECT_EQ(parser.buffered(), 0u);
  auto again = parser.feed("* OK fine\r\n");
  EXPECT_FALSE(again.has_value()) << "a failed parser must not resume";
}

}  // namespace
}  // namespace mailoauth::imap
