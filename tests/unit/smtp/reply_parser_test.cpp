// The SMTP reply parser: replies byte for byte as Exchange Online, Gmail and
// Dovecot send them; pipelined replies split at every byte boundary; each
// limit at its edge; and hostile input (NUL, garbage codes, a code change
// inside a reply, 10 MB without a line ending) refused with a named error and
// without holding more than a line's worth of memory.
#include "mailoauth/smtp/reply_parser.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// Feeds everything at once and takes every reply; the error code, if any, last.
struct Outcome {
  std::vector<Reply> replies;
  std::string error;
};

Outcome drain(ReplyParser& parser, Outcome outcome = {}) {
  for (;;) {
    auto next = parser.next();
    if (!next) {
      outcome.error = next.error().code();
      return outcome;
    }
    if (!*next) return outcome;
    outcome.replies.push_back(std::move(**next));
  }
}

Outcome parse_all(std::string_view bytes, ReplyLimits limits = {}) {
  ReplyParser parser(limits);
  Outcome outcome;
  auto first = parser.feed(bytes);
  if (!first) {
    outcome.error = first.error().code();
    return outcome;
  }
  if (!*first) return outcome;
  outcome.replies.push_back(std::move(**first));
  return drain(parser, std::move(outcome));
}

Reply one(std::string_view bytes) {
  Outcome outcome = parse_all(bytes);
  EXPECT_EQ(outcome.error, "");
  EXPECT_EQ(outcome.replies.size(), 1u);
  return outcome.replies.empty() ? Reply() : outcome.replies.front();
}

TEST(ReplyParserTest, Greeting) {
  Reply reply = one("220 mail.example.com ESMTP ready\r\n");
  EXPECT_EQ(reply.code, 220);
  EXPECT_EQ(reply.lines, std::vector<std::string>{"mail.example.com ESMTP ready"});
  EXPECT_FALSE(reply.enhanced_status.has_value());
  EXPECT_FALSE(reply.bare_line_feed);
  EXPECT_TRUE(reply.is_positive());
  EXPECT_FALSE(reply.is_intermediate());
  EXPECT_FALSE(reply.is_transient());
  EXPECT_FALSE(reply.is_permanent());
}

TEST(ReplyParserTest, NeedsMoreUntilTheLineEnds) {
  ReplyParser parser;
  auto partial = parser.feed("250 2.1.0 Sender O");
  ASSERT_TRUE(partial.has_value());
  EXPECT_FALSE(partial->has_value());
  EXPECT_EQ(parser.buffered_size(), 18u);
  partial = parser.feed("K\r");
  ASSERT_TRUE(partial.has_value());
  EXPECT_FALSE(partial->has_value());
  auto done = parser.feed("\n");
  ASSERT_TRUE(done.has_value() && done->has_value());
  EXPECT_EQ((*done)->code, 250);
  EXPECT_EQ((*done)->lines.front(), "2.1.0 Sender OK");
  EXPECT_EQ((*done)->enhanced_status, (EnhancedStatus{2, 1, 0}));
  EXPECT_EQ(parser.buffered_size(), 0u);
}

constexpr std::string_view kOffice365Ehlo =
    "250-SN4PR0201CA0034.outlook.office365.com Hello [203.0.113.5]\r\n"
    "250-SIZE 157286400\r\n"
    "250-PIPELINING\r\n"
    "250-DSN\r\n"
    "250-ENHANCEDSTATUSCODES\r\n"
    "250-AUTH LOGIN XOAUTH2\r\n"
    "250-8BITMIME\r\n"
    "250-BINARYMIME\r\n"
    "250-CHUNKING\r\n"
    "250 SMTPUTF8\r\n";

TEST(ReplyParserTest, MultiLineEhlo) {
  Reply reply = one(kOffice365Ehlo);
  EXPECT_EQ(reply.code, 250);
  ASSERT_EQ(reply.lines.size(), 10u);
  EXPECT_EQ(reply.lines[0], "SN4PR0201CA0034.outlook.office365.com Hello [203.0.113.5]");
  EXPECT_EQ(reply.lines[5], "AUTH LOGIN XOAUTH2");
  EXPECT_EQ(reply.lines[9], "SMTPUTF8");
  EXPECT_EQ(reply.text().substr(0, 62),
            "SN4PR0201CA0034.outlook.office365.com Hello [203.0.113.5]\nSIZE");
}

TEST(ReplyParserTest, ExchangeAuthDisabledForTheTenant) {
  Reply reply =
      one("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
          "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
          "[SN4PR0201CA0034.namprd02.prod.outlook.com 2026-01-27T10:00:00.000Z 08DC0000]\r\n");
  EXPECT_EQ(reply.code, 535);
  ASSERT_TRUE(reply.enhanced_status.has_value());
  EXPECT_EQ(*reply.enhanced_status, (EnhancedStatus{5, 7, 139}));
  EXPECT_EQ(reply.enhanced_status->to_string(), "5.7.139");
  EXPECT_TRUE(reply.is_permanent());
  EXPECT_FALSE(reply.is_positive());
  EXPECT_EQ(reply.lines.front().substr(0, 40), "5.7.139 Authentication unsuccessful, Smt");
}

TEST(ReplyParserTest, GmailLineTooLongKeepsEveryLine) {
  Reply reply =
      one("555-5.5.2 Syntax error, command line too long. For more information, go to\r\n"
          "555-5.5.2  https://support.google.com/a/answer/3221692 and review RFC 5321\r\n"
          "555 5.5.2 specifications. d2e1a72fcca58-6b0ad1b5e4fsm1234567b3a.5 - gsmtp\r\n");
  EXPECT_EQ(reply.code, 555);
  EXPECT_EQ(reply.enhanced_status, (EnhancedStatus{5, 5, 2}));
  ASSERT_EQ(reply.lines.size(), 3u);
  EXPECT_EQ(reply.lines[1],
            "5.5.2  https://support.google.com/a/answer/3221692 and review RFC 5321");
  EXPECT_EQ(reply.text(),
            "5.5.2 Syntax error, command line too long. For more information, go to\n"
            "5.5.2  https://support.google.com/a/answer/3221692 and review RFC 5321\n"
            "5.5.2 specifications. d2e1a72fcca58-6b0ad1b5e4fsm1234567b3a.5 - gsmtp");
}

TEST(ReplyParserTest, IntermediateAndTransient) {
  EXPECT_TRUE(one("334 \r\n").is_intermediate());
  EXPECT_TRUE(one("334 \r\n").is_positive());
  EXPECT_EQ(one("334 \r\n").lines, std::vector<std::string>{""});
  EXPECT_TRUE(one("354 Start mail input; end with <CRLF>.<CRLF>\r\n").is_intermediate());
  Reply busy =
      one("432 4.3.2 Concurrent connections limit exceeded. Visit "
          "https://aka.ms/concurrent_sending for more information. [Hostname=X]\r\n");
  EXPECT_TRUE(busy.is_transient());
  EXPECT_EQ(busy.enhanced_status, (EnhancedStatus{4, 3, 2}));
}

TEST(ReplyParserTest, CodeAloneAndEmptyContinuation) {
  Reply bare = one("250\r\n");
  EXPECT_EQ(bare.code, 250);
  EXPECT_EQ(bare.lines, std::vector<std::string>{""});
  Reply empty_lines = one("250-\r\n250 \r\n");
  EXPECT_EQ(empty_lines.lines, (std::vector<std::string>{"", ""}));
}

TEST(ReplyParserTest, BareLineFeedIsAcceptedAndNoted) {
  Reply reply = one("250-first\n250 second\r\n");
  EXPECT_EQ(reply.lines, (std::vector<std::string>{"first", "second"}));
  EXPECT_TRUE(reply.bare_line_feed);
  EXPECT_FALSE(one("250 ok\r\n").bare_line_feed);
}

TEST(ReplyParserTest, EightBitTextAndTabsAreKept) {
  Reply reply = one("550 5.1.1 Empf\xc3\xa4nger\tunbekannt\r\n");
  EXPECT_EQ(reply.lines.front(), "5.1.1 Empf\xc3\xa4nger\tunbekannt");
}

TEST(ReplyParserTest, EnhancedStatusRules) {
  EXPECT_EQ(parse_enhanced_status("5.7.139 text", 535), (EnhancedStatus{5, 7, 139}));
  EXPECT_EQ(parse_enhanced_status("2.0.0", 250), (EnhancedStatus{2, 0, 0}));
  EXPECT_EQ(parse_enhanced_status("4.7.0\tx", 421), (EnhancedStatus{4, 7, 0}));
  EXPECT_EQ(parse_enhanced_status("5.07.001 x", 550), (EnhancedStatus{5, 7, 1}));
  EXPECT_FALSE(parse_enhanced_status("5.7.139 class differs", 435));
  EXPECT_FALSE(parse_enhanced_status("3.0.0 no class 3", 354));
  EXPECT_FALSE(parse_enhanced_status("5.7.1390 four digits", 550));
  EXPECT_FALSE(parse_enhanced_status("5.1000.1 four digits", 550));
  EXPECT_FALSE(parse_enhanced_status("5.7. missing detail", 550));
  EXPECT_FALSE(parse_enhanced_status("5..1 missing subject", 550));
  EXPECT_FALSE(parse_enhanced_status("5.7.1x", 550));
  EXPECT_FALSE(parse_enhanced_status("5.7", 550));
  EXPECT_FALSE(parse_enhanced_status("Ok 2.0.0", 250));
  // Not the first line's: the first line that has one.
  Reply reply = one("250-mail.example.com\r\n250 2.0.0 ok\r\n");
  EXPECT_EQ(reply.enhanced_status, (EnhancedStatus{2, 0, 0}));
}

constexpr std::string_view kPipelined =
    "250 2.1.0 Sender OK\r\n"
    "250 2.1.5 Recipient OK\r\n"
    "550-5.1.1 The email account that you tried to reach does not exist.\r\n"
    "550 5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp\r\n"
    "354 Start mail input; end with <CRLF>.<CRLF>\r\n";

void expect_pipelined(const std::vector<Reply>& replies) {
  ASSERT_EQ(replies.size(), 4u);
  EXPECT_EQ(replies[0].code, 250);
  EXPECT_EQ(replies[0].lines.front(), "2.1.0 Sender OK");
  EXPECT_EQ(replies[1].enhanced_status, (EnhancedStatus{2, 1, 5}));
  EXPECT_EQ(replies[2].code, 550);
  EXPECT_EQ(replies[2].lines.size(), 2u);
  EXPECT_EQ(replies[2].lines[1], "5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp");
  EXPECT_EQ(replies[3].code, 354);
}

TEST(ReplyParserTest, PipelinedRepliesComeOutOneByOne) {
  ReplyParser parser;
  auto first = parser.feed(kPipelined);
  ASSERT_TRUE(first.has_value() && first->has_value());
  EXPECT_EQ((*first)->lines.front(), "2.1.0 Sender OK");
  EXPECT_EQ(parser.buffered_size(), kPipelined.size() - 21);
  Outcome rest = drain(parser);
  EXPECT_EQ(rest.error, "");
  rest.replies.insert(rest.replies.begin(), **first);
  expect_pipelined(rest.replies);
  EXPECT_EQ(parser.buffered_size(), 0u);
}

TEST(ReplyParserTest, PipelinedSplitAtEveryBoundary) {
  for (std::size_t split = 0; split <= kPipelined.size(); ++split) {
    SCOPED_TRACE("split at " + std::to_string(split));
    ReplyParser parser;
    Outcome outcome;
    for (std::string_view part : {kPipelined.substr(0, split), kPipelined.substr(split)}) {
      auto reply = parser.feed(part);
      ASSERT_TRUE(reply.has_value());
      if (*reply) outcome.replies.push_back(std::move(**reply));
      outcome = drain(parser, std::move(outcome));
      ASSERT_EQ(outcome.error, "");
    }
    expect_pipelined(outcome.replies);
  }
}

TEST(ReplyParserTest, PipelinedSplitAtEveryPairOfBoundaries) {
  for (std::size_t first = 0; first <= kPipelined.size(); ++first) {
    for (std::size_t second = first; second <= kPipelined.size(); ++second) {
      ReplyParser parser;
      Outcome outcome;
      for (std::string_view part :
           {kPipelined.substr(0, first), kPipelined.substr(first, second - first),
            kPipelined.substr(second)}) {
        auto reply = parser.feed(part);
        ASSERT_TRUE(reply.has_value());
        if (*reply) outcome.replies.push_back(std::move(**reply));
        outcome = drain(parser, std::move(outcome));
      }
      ASSERT_EQ(outcome.replies.size(), 4u) << first << " " << second;
      ASSERT_EQ(outcome.replies[2].lines.size(), 2u) << first << " " << second;
    }
  }
}

TEST(ReplyParserTest, ByteByByte) {
  ReplyParser parser;
  Outcome outcome;
  for (char c : kPipelined) {
    auto reply = parser.feed(std::string_view(&c, 1));
    ASSERT_TRUE(reply.has_value());
    if (*reply) outcome.replies.push_back(std::move(**reply));
  }
  expect_pipelined(outcome.replies);
}

TEST(ReplyParserTest, NothingMayFollowTheStartTlsReply) {
  // A man in the middle appends a reply to the plain-text 220: the client sees it buffered.
  ReplyParser parser;
  auto ready = parser.feed("220 2.0.0 SMTP server ready\r\n250-injected\r\n");
  ASSERT_TRUE(ready.has_value() && ready->has_value());
  EXPECT_EQ(parser.buffered_size(), 14u);
}

// Limits.

TEST(ReplyParserTest, LineLengthLimitAtItsEdge) {
  const std::string longest = "250 " + std::string(4092, 'a');  // 4096 bytes
  EXPECT_EQ(one(longest + "\r\n").lines.front().size(), 4092u);
  EXPECT_EQ(parse_all(longest + "a\r\n").error, "smtp.reply_line_too_long");
  EXPECT_EQ(parse_all(longest + "a\n").error, "smtp.reply_line_too_long");
  EXPECT_EQ(parse_all(longest + "aa").error, "smtp.reply_line_too_long");
  EXPECT_EQ(parse_all(longest).error, "");  // not over the limit yet: need more
  ReplyLimits limits;
  limits.max_line_length = 10;
  EXPECT_EQ(parse_all("250 123456\r\n", limits).error, "");
  EXPECT_EQ(parse_all("250 1234567\r\n", limits).error, "smtp.reply_line_too_long");
}

TEST(ReplyParserTest, TenMegabytesWithoutALineEnding) {
  const std::string flood(10 * 1024 * 1024, 'x');
  ReplyParser parser;
  auto reply = parser.feed("250 " + flood);
  ASSERT_FALSE(reply.has_value());
  EXPECT_EQ(reply.error().code(), "smtp.reply_line_too_long");
  EXPECT_EQ(reply.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(reply.error().message(),
            "the SMTP server sent a reply line longer than 4096 bytes (line 1: \"250 " +
                std::string(76, 'x') + "...\")");
  EXPECT_EQ(parser.buffered_size(), 0u);

  // The same in 64 KiB reads: refused in the first, never more than a line kept.
  ReplyParser chunked;
  const std::string_view view(flood);
  auto first = chunked.feed(view.substr(0, 65536));
  ASSERT_FALSE(first.has_value());
  for (std::size_t offset = 65536; offset < view.size(); offset += 65536) {
    auto later = chunked.feed(view.substr(offset, 65536));
    ASSERT_FALSE(later.has_value());
    EXPECT_EQ(later.error().code(), "smtp.reply_line_too_long");
  }
  EXPECT_EQ(chunked.buffered_size(), 0u);

  // Byte by byte to the limit: 4097 bytes may wait for their LF, the 4098th is refused.
  ReplyParser slow;
  for (int i = 0; i < 4097; ++i) ASSERT_TRUE(slow.feed("x").has_value());
  EXPECT_EQ(slow.buffered_size(), 4097u);
  EXPECT_FALSE(slow.feed("x").has_value());
}

TEST(ReplyParserTest, LinesPerReplyLimit) {
  std::string thousand;
  for (int i = 0; i < 999; ++i) thousand += "250-x\r\n";
  EXPECT_EQ(one(thousand + "250 x\r\n").lines.size(), 1000u);
  EXPECT_EQ(parse_all(thousand + "250-x\r\n250 x\r\n").error, "smtp.reply_too_many_lines");
  // Refused at the 1001st line, without waiting for the end of the reply.
  std::string endless;
  for (int i = 0; i < 1001; ++i) endless += "250-x\r\n";
  EXPECT_EQ(parse_all(endless).error, "smtp.reply_too_many_lines");
}

TEST(ReplyParserTest, ReplySizeLimit) {
  ReplyLimits limits;
  limits.max_reply_size = 20;
  EXPECT_EQ(parse_all("250-12345\r\n250 123\r\n", limits).error, "");  // 11 + 9 bytes
  EXPECT_EQ(parse_all("250-12345\r\n250 1234\r\n", limits).error, "smtp.reply_too_large");
  // The limit is per reply: many small replies in a row are fine.
  std::string many;
  for (int i = 0; i < 100; ++i) many += "250 123\r\n";
  EXPECT_EQ(parse_all(many, limits).replies.size(), 100u);
}

TEST(ReplyParserTest, PendingLimitStopsACallerThatNeverTakes) {
  ReplyLimits limits;
  limits.max_pending_size = 40;
  ReplyParser parser(limits);
  // feed() hands out the first reply; the second waits (32 bytes), the third is too many.
  auto first = parser.feed("250 0123456789\r\n250 0123456789\r\n250 0123456789\r\n");
  ASSERT_TRUE(first.has_value() && first->has_value());
  Outcome rest = drain(parser);
  EXPECT_EQ(rest.replies.size(), 1u);
  EXPECT_EQ(rest.error, "smtp.reply_backlog");
}

// Hostile input.

TEST(ReplyParserTest, GarbageCodes) {
  for (std::string_view bad :
       {"HTTP/1.1 400 Bad Request\r\n"sv, "\r\n"sv, "25\r\n"sv, "2500 x\r\n"sv, "250x\r\n"sv,
        "199 x\r\n"sv, "600 x\r\n"sv, "260 x\r\n"sv, "2a0 x\r\n"sv, " 250 x\r\n"sv, "250\t x\r\n"sv,
        "\x16\x03\x01\x00\xa5\x01\r\n"sv, "* OK IMAP4rev1 ready\r\n"sv, "+OK POP3 ready\r\n"sv}) {
    SCOPED_TRACE(std::string(bad));
    Outcome outcome = parse_all(bad);
    EXPECT_TRUE(outcome.replies.empty());
    EXPECT_EQ(outcome.error, "smtp.reply_bad_code");
  }
  auto http = ReplyParser().feed("HTTP/1.1 400 Bad Request\r\n");
  ASSERT_FALSE(http.has_value());
  EXPECT_EQ(
      http.error().message(),
      "the SMTP server sent a line that is not a reply (line 1: \"HTTP/1.1 400 Bad Request\"); "
      "a reply starts with a code such as 250 (first digit 2 to 5, second 0 to 5), then a "
      "space or '-'");
  EXPECT_NE(http.error().remedy().find("host and port"), std::string::npos);
}

TEST(ReplyParserTest, CodeChangeInsideAReply) {
  auto changed = ReplyParser().feed("250-mail.example.com\r\n550 5.7.1 no\r\n");
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().code(), "smtp.reply_code_changed");
  EXPECT_EQ(changed.error().message(),
            "the SMTP server changed the code within one reply, from 250 to 550 (line 2: "
            "\"550 5.7.1 no\")");
}

TEST(ReplyParserTest, NulControlCharactersAndBareCr) {
  EXPECT_EQ(parse_all("250 o\0k\r\n"s).error, "smtp.reply_nul");
  EXPECT_EQ(parse_all("250-ok\r\n250 \0\r\n"s).error, "smtp.reply_nul");
  EXPECT_EQ(parse_all("250 o\rk\r\n").error, "smtp.reply_bare_cr");
  EXPECT_EQ(parse_all("250 ok\r\r\n").error, "smtp.reply_bare_cr");
  EXPECT_EQ(parse_all("250 \x1b[31mred\r\n").error, "smtp.reply_control_character");
  EXPECT_EQ(parse_all("250 del\x7f\r\n").error, "smtp.reply_control_character");
  auto nul = ReplyParser().feed("250 o\0k\r\n"s);
  ASSERT_FALSE(nul.has_value());
  EXPECT_EQ(nul.error().message(),
            "the SMTP server sent a NUL byte in a reply (line 1: \"250 o\\x00k\")");
}

TEST(ReplyParserTest, RepliesBeforeTheErrorComeOutFirstThenItStays) {
  ReplyParser parser;
  auto first = parser.feed("250 2.1.0 ok\r\n250 2.1.5 ok\r\nGARBAGE\r\n250 2.0.0 never\r\n");
  ASSERT_TRUE(first.has_value() && first->has_value());
  EXPECT_EQ((*first)->lines.front(), "2.1.0 ok");
  auto second = parser.next();
  ASSERT_TRUE(second.has_value() && second->has_value());
  EXPECT_EQ((*second)->lines.front(), "2.1.5 ok");
  EXPECT_TRUE(parser.failed());
  for (int i = 0; i < 3; ++i) {
    auto after = parser.feed("250 fine now\r\n");
    ASSERT_FALSE(after.has_value());
    EXPECT_EQ(after.error().code(), "smtp.reply_bad_code");
  }
  EXPECT_EQ(parser.buffered_size(), 0u);
}

}  // namespace
}  // namespace mailoauth::smtp
