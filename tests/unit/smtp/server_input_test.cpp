// The server's input framing: command lines (CR LF, bare LF, overlong lines
// dropped with one report and the stream kept in step, NUL noted), DATA
// content (dot-unstuffing, the end only at <CRLF>.<CRLF> — never at the bare
// LF variants of SMTP smuggling — pipelined commands after the dot kept), the
// same result when the bytes arrive split at every position, the size limit,
// BDAT chunks, and the buffer bound.
#include "mailoauth/smtp/server_input.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

using namespace std::string_literals;

struct DataOutcome {
  std::string content;
  bool ended = false;
  std::vector<std::string> lines_after;  // command lines after the end
};

// Feeds `wire` in pieces of `piece` bytes, after begin_data(), collecting the
// content and the command lines that follow it.
DataOutcome run_data(std::string_view wire, std::size_t piece = 1 << 20,
                     ServerInputLimits limits = {}) {
  ServerInput input(limits);
  input.begin_data();
  DataOutcome outcome;
  std::size_t offset = 0;
  for (;;) {
    while (!outcome.ended) {
      auto next = input.next_content();
      if (!next) break;
      if (next->end) {
        outcome.ended = true;
        break;
      }
      outcome.content.append(next->bytes);
    }
    while (outcome.ended) {
      auto line = input.next_line();
      if (!line) break;
      outcome.lines_after.push_back(line->text);
    }
    if (offset >= wire.size()) break;
    const std::size_t taken = input.feed(wire.substr(offset, piece));
    EXPECT_GT(taken, 0u) << "the input refused bytes while nothing was pending";
    offset += taken;
  }
  return outcome;
}

TEST(ServerInputTest, CommandLinesWithCrLfAndBareLf) {
  ServerInput input;
  input.feed("EHLO a\r\nMAIL FROM:<x@y>\nNOOP");
  auto first = input.next_line();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->text, "EHLO a");
  EXPECT_FALSE(first->bare_lf);
  auto second = input.next_line();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->text, "MAIL FROM:<x@y>");
  EXPECT_TRUE(second->bare_lf);
  EXPECT_FALSE(input.next_line()) << "NOOP has no line end yet";
  input.feed("\r\n");
  auto third = input.next_line();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->text, "NOOP");
}

TEST(ServerInputTest, OverlongLineIsDroppedOnceAndTheStreamStaysInStep) {
  ServerInput input({.max_line_length = 16, .max_buffered = 64, .max_message_size = 100});
  // 10 MB without a line end, fed as it would arrive: memory stays bounded.
  const std::string chunk(4096, 'A');
  for (int i = 0; i < 2560; ++i) {
    std::string_view rest = chunk;
    while (!rest.empty()) {
      const std::size_t taken = input.feed(rest);
      rest.remove_prefix(taken);
      EXPECT_FALSE(input.next_line());
      ASSERT_LE(input.buffered(), 64u);
    }
  }
  input.feed("AAAA\r\nQUIT\r\n");
  auto report = input.next_line();
  ASSERT_TRUE(report);
  EXPECT_TRUE(report->too_long);
  EXPECT_EQ(report->text, "");
  auto quit = input.next_line();
  ASSERT_TRUE(quit);
  EXPECT_EQ(quit->text, "QUIT");
  EXPECT_FALSE(quit->too_long);
}

TEST(ServerInputTest, LineJustAtTheLimitIsKept) {
  ServerInput input({.max_line_length = 8, .max_buffered = 64, .max_message_size = 100});
  input.feed("12345678\r\n123456789\r\n");
  auto at_limit = input.next_line();
  ASSERT_TRUE(at_limit);
  EXPECT_FALSE(at_limit->too_long);
  EXPECT_EQ(at_limit->text, "12345678");
  auto over = input.next_line();
  ASSERT_TRUE(over);
  EXPECT_TRUE(over->too_long);
}

TEST(ServerInputTest, NulIsNoted) {
  ServerInput input;
  input.feed("NO\0OP\r\n"s);
  auto line = input.next_line();
  ASSERT_TRUE(line);
  EXPECT_TRUE(line->has_nul);
}

TEST(ServerInputTest, DataIsUnstuffedAndEndsAtCrLfDotCrLf) {
  const DataOutcome outcome = run_data("Subject: x\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n");
  EXPECT_TRUE(outcome.ended);
  EXPECT_EQ(outcome.content, "Subject: x\r\n\r\n.leading dot\r\n");
  EXPECT_EQ(outcome.lines_after, std::vector<std::string>{"QUIT"});
}

TEST(ServerInputTest, EmptyMessage) {
  const DataOutcome outcome = run_data(".\r\n");
  EXPECT_TRUE(outcome.ended);
  EXPECT_EQ(outcome.content, "");
}

TEST(ServerInputTest, SmugglingSequencesDoNotEndTheMessage) {
  // Each of these ends the message for some server somewhere; only the last
  // line's <CRLF>.<CRLF> may end it here.
  const std::string wire =
      "a\r\n"
      "\n.\n"          // LF . LF
      "b\r\n.\n"       // CR LF . LF
      "c\n.\r\n"       // LF . CR LF
      "d\r.\r\n"       // CR . CR LF
      "e\r\n.\rX\r\n"  // CR LF . CR X
      "MAIL FROM:<smuggled@example.com>\r\n"
      ".\r\n";
  const DataOutcome outcome = run_data(wire);
  ASSERT_TRUE(outcome.ended);
  EXPECT_NE(outcome.content.find("MAIL FROM:<smuggled@example.com>"), std::string::npos)
      << "the hidden command must stay content";
  EXPECT_TRUE(outcome.lines_after.empty());
}

TEST(ServerInputTest, SameResultAtEveryPieceSize) {
  const std::string wire =
      "From: a@b\r\n\r\n..x\r\nbare\nlf\r\n.\rcr\r\nlast line\r\n.\r\nRSET\r\nQUIT\r\n";
  const DataOutcome whole = run_data(wire);
  ASSERT_TRUE(whole.ended);
  for (std::size_t piece = 1; piece <= wire.size(); ++piece) {
    const DataOutcome split = run_data(wire, piece);
    ASSERT_EQ(split.content, whole.content) << "piece size " << piece;
    ASSERT_EQ(split.lines_after, whole.lines_after) << "piece size " << piece;
  }
  EXPECT_EQ(whole.content, "From: a@b\r\n\r\n.x\r\nbare\nlf\r\n\rcr\r\nlast line\r\n");
  EXPECT_EQ(whole.lines_after, (std::vector<std::string>{"RSET", "QUIT"}));
}

TEST(ServerInputTest, BareLineFeedsAreCounted) {
  ServerInput input;
  input.begin_data();
  input.feed("a\nb\r\nc\n.\r\n");
  while (auto piece = input.next_content()) {
    if (piece->end) break;
  }
  EXPECT_EQ(input.bare_line_feeds(), 2u);
}

TEST(ServerInputTest, ContentBeyondTheLimitIsDroppedAndTheEndStillFound) {
  ServerInputLimits limits{.max_line_length = 100, .max_buffered = 256, .max_message_size = 10};
  std::string wire;
  for (int i = 0; i < 1000; ++i) wire += "0123456789\r\n";
  wire += ".\r\nQUIT\r\n";
  ServerInput input(limits);
  input.begin_data();
  std::string content;
  bool ended = false;
  std::string_view rest = wire;
  while (!ended) {
    rest.remove_prefix(input.feed(rest));
    while (auto piece = input.next_content()) {
      if (piece->end) {
        ended = true;
        break;
      }
      content.append(piece->bytes);
    }
    ASSERT_TRUE(ended || !rest.empty()) << "the input ran out before the end was found";
  }
  EXPECT_EQ(content, "0123456789");
  EXPECT_TRUE(input.content_too_large());
  EXPECT_EQ(input.content_size(), 12'000u);
  auto quit = input.next_line();
  ASSERT_TRUE(quit);
  EXPECT_EQ(quit->text, "QUIT");
}

TEST(ServerInputTest, ChunksAreTakenAsTheyAre) {
  ServerInput input;
  input.feed("..a\r\n.\r\nBDAT 0 LAST\r\n");
  input.begin_chunk(8, true);
  std::string content;
  for (;;) {
    auto piece = input.next_content();
    ASSERT_TRUE(piece);
    if (piece->end) break;
    content.append(piece->bytes);
  }
  EXPECT_EQ(content, "..a\r\n.\r\n");
  EXPECT_EQ(input.content_size(), 8u);
  auto next = input.next_line();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->text, "BDAT 0 LAST");
  input.begin_chunk(0, false);
  auto end = input.next_content();
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->end);
  EXPECT_EQ(input.content_size(), 8u) << "a later chunk of the same message adds to the size";
}

TEST(ServerInputTest, FeedNeverHoldsMoreThanTheBound) {
  ServerInput input({.max_line_length = 16, .max_buffered = 32, .max_message_size = 100});
  const std::string many(1000, 'x');
  EXPECT_EQ(input.feed(many), 32u);
  EXPECT_EQ(input.space(), 0u);
  EXPECT_EQ(input.feed("y"), 0u);
}

}  // namespace
}  // namespace mailoauth::smtp
