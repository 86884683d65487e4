// DATA framing: dot-stuffing, line endings made CRLF, the terminator, and the
// same result whatever the chunking (also as the client feeds it, from a
// MessageSource at every chunk size); BDAT framing.
#include "mailoauth/smtp/dot_stuffing.hpp"

#include <gtest/gtest.h>

#include "mailoauth/smtp/message_source.hpp"

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

// What the client does with a MessageSource: every chunk size from one byte
// to the whole message gives the same bytes as stuffing it at once, with
// dots, CRLFs split across chunks, bare LFs and CRs and no final line end.
TEST(DotStuffingTest, StreamedFromASourceAtEveryChunkSizeEqualsTheWholeMessage) {
  const std::string message =
      "Subject: x\r\n\r\n.one\r\n..two\n\r\n.\r\nmiddle\r.after a bare CR\r\n\r\n."
      "\nend without newline";
  for (Framing framing : {Framing::Data, Framing::Bdat}) {
    DotStuffer reference(framing);
    std::string whole;
    reference.feed(message, whole);
    reference.finish(whole);
    for (std::size_t chunk_size = 1; chunk_size <= message.size() + 1; ++chunk_size) {
      MessageSource source = MessageSource::from_buffer(message, chunk_size);
      DotStuffer stuffer(framing);
      std::string out;
      for (;;) {
        auto chunk = source.next_chunk();
        ASSERT_TRUE(chunk.has_value());
        if (chunk->empty()) break;
        EXPECT_LE(chunk->size(), chunk_size);
        stuffer.feed(*chunk, out);
      }
      stuffer.finish(out);
      EXPECT_EQ(out, whole) << "chunk size " << chunk_size;
      EXPECT_EQ(stuffer.longest_line(), reference.longest_line()) << "chunk size " << chunk_size;
    }
  }
}

TEST(DotStuffingTest, BdatFramingMakesCrlfButStuffsNothingAndAddsNoTerminator) {
  DotStuffer stuffer(Framing::Bdat);
  std::string out;
  stuffer.feed(".one\n..two\r\nend", out);
  stuffer.finish(out);
  EXPECT_EQ(out, ".one\r\n..two\r\nend\r\n");
}

}  // namespace
}  // namespace mailoauth::smtp
