// DATA framing: dot-stuffing, line endings made CRLF, the terminator, and the
// same result whatever the chunking.
#include "mailoauth/smtp/dot_stuffing.hpp"

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

TEST(DotStuffingTest, DoublesLeadingDotsOnly) {
  EXPECT_EQ(dot_stuff(".\r\n..\r\na.b\r\n.x\r\n"), "..\r\n...\r\na.b\r\n..x\r\n.\r\n");
}

TEST(DotStuffingTest, FirstLineCountsAsALineStart) {
  EXPECT_EQ(dot_stuff(".hidden\r\n"), "..hidden\r\n.\r\n");
}

TEST(DotStuffingTest, BareLineFeedsAndCarriageReturnsBecomeCrlf) {
  EXPECT_EQ(dot_stuff("a\nb\rc\r\n.d\n"), "a\r\nb\r\nc\r\n..d\r\n.\r\n");
}

TEST(DotStuffingTest, MissingFinalLineEndIsAdded) {
  EXPECT_EQ(dot_stuff("no newline"), "no newline\r\n.\r\n");
  EXPECT_EQ(dot_stuff(""), ".\r\n");
  EXPECT_EQ(dot_stuff("\r\n"), "\r\n.\r\n");
}

TEST(DotStuffingTest, ChunkBoundariesDoNotMatter) {
  const std::string message = "Subject: x\r\n\r\n.one\r\n..two\n\r\n.\r\nend";
  const std::string whole = dot_stuff(message);
  for (std::size_t split = 0; split <= message.size(); ++split) {
    DotStuffer stuffer;
    std::string out;
    stuffer.feed(std::string_view(message).substr(0, split), out);
    stuffer.feed(std::string_view(message).substr(split), out);
    stuffer.finish(out);
    EXPECT_EQ(out, whole) << "split at " << split;
  }
}

TEST(DotStuffingTest, ATerminatorInsideTheMessageCannotEndIt) {
  const std::string out = dot_stuff("a\r\n.\r\nRSET\r\n");
  EXPECT_EQ(out, "a\r\n..\r\nRSET\r\n.\r\n");
  EXPECT_EQ(out.find("\r\n.\r\n"), out.size() - 5);
}

TEST(DotStuffingTest, MeasuresTheLongestLine) {
  DotStuffer stuffer;
  std::string out;
  stuffer.feed(std::string(1200, 'x') + "\r\nshort\r\n" + std::string(10, 'y'), out);
  stuffer.finish(out);
  EXPECT_EQ(stuffer.longest_line(), 1200u);
}

}  // namespace
}  // namespace mailoauth::smtp
