// Message sources: a buffer and a file read in chunks of the size asked for,
// rewound to read again, a custom reader, and the facts the client needs
// before MAIL (the size on the wire for SIZE=, 8-bit content) equal to what
// the dot-stuffer really produces, whatever the chunk size.
#include "mailoauth/smtp/message_source.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "mailoauth/smtp/dot_stuffing.hpp"

namespace mailoauth::smtp {
namespace {

namespace fs = std::filesystem;

std::string read_all(MessageSource& source) {
  std::string all;
  for (;;) {
    auto chunk = source.next_chunk();
    EXPECT_TRUE(chunk.has_value());
    if (!chunk || chunk->empty()) return all;
    all += *chunk;
  }
}

// The octets DATA carries for `message`, without doubled dots and the terminator.
std::uint64_t normalised_size(std::string_view message) {
  DotStuffer stuffer(Framing::Bdat);
  std::string out;
  stuffer.feed(message, out);
  stuffer.finish(out);
  return out.size();
}

class TemporaryFile {
 public:
  explicit TemporaryFile(const std::string& contents)
      : path_(fs::temp_directory_path() /
              ("message_source_test_" + std::to_string(::getpid()) + ".eml")) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TemporaryFile() { fs::remove(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const std::string kMessage =
    "Subject: caf\xc3\xa9\r\n\r\n.dot\nbare LF\rbare CR\r\n\r\nlast line without newline";

TEST(MessageSourceTest, BufferInChunksAndRewound) {
  MessageSource source = MessageSource::from_buffer(kMessage, 5);
  auto first = source.next_chunk();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, kMessage.substr(0, 5));
  EXPECT_EQ(source.stored_size(), kMessage.size());
  ASSERT_TRUE(source.rewind().has_value());
  EXPECT_EQ(read_all(source), kMessage);
  EXPECT_EQ(read_all(source), "") << "at the end, chunks are empty";
}

TEST(MessageSourceTest, FileInChunksOfTheSizeAsked) {
  TemporaryFile file(kMessage);
  for (std::size_t chunk_size : {std::size_t{1}, std::size_t{7}, kMessageChunkSize}) {
    auto source = MessageSource::from_file(file.path(), chunk_size);
    ASSERT_TRUE(source.has_value()) << source.error().describe();
    EXPECT_EQ(source->stored_size(), kMessage.size());
    auto chunk = source->next_chunk();
    ASSERT_TRUE(chunk.has_value());
    EXPECT_EQ(chunk->size(), std::min(chunk_size, kMessage.size()));
    ASSERT_TRUE(source->rewind().has_value());
    EXPECT_EQ(read_all(*source), kMessage) << "chunk size " << chunk_size;
  }
}

TEST(MessageSourceTest, MissingFileIsAConfigErrorNamingIt) {
  auto source = MessageSource::from_file("/nonexistent/mailoauth/message.eml");
  ASSERT_FALSE(source.has_value());
  EXPECT_EQ(source.error().code(), "smtp.message_open");
  EXPECT_EQ(source.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(source.error().message().find("/nonexistent/mailoauth/message.eml"), std::string::npos);
  EXPECT_FALSE(MessageSource::from_file(fs::temp_directory_path()).has_value())
      << "a directory is not a message";
}

TEST(MessageSourceTest, FactsMatchWhatTheStufferSendsAtEveryChunkSize) {
  for (const std::string& message :
       {kMessage, std::string(), std::string("\r"), std::string("a\r"), std::string("a\n"),
        std::string("a\r\n"), std::string("x"), std::string("\n\n\r\r\n")}) {
    const MessageFacts whole = facts_of(message);
    EXPECT_EQ(whole.wire_size, normalised_size(message)) << message;
    TemporaryFile file(message);
    for (std::size_t chunk_size = 1; chunk_size <= message.size() + 1; ++chunk_size) {
      auto source = MessageSource::from_file(file.path(), chunk_size);
      ASSERT_TRUE(source.has_value());
      auto facts = source->facts();
      ASSERT_TRUE(facts.has_value());
      EXPECT_EQ(facts->wire_size, whole.wire_size) << "chunk size " << chunk_size;
      EXPECT_EQ(facts->eight_bit, whole.eight_bit);
      EXPECT_EQ(read_all(*source), message) << "facts() rewinds the source";
    }
  }
  EXPECT_TRUE(facts_of(kMessage).eight_bit);
  EXPECT_FALSE(facts_of("plain ASCII\r\n").eight_bit);
}

TEST(MessageSourceTest, KnownFactsAreNotScannedAgain) {
  class CountingReader : public MessageReader {
   public:
    explicit CountingReader(int& reads) : reads_(reads) {}
    core::Result<std::string_view> read(std::size_t) override {
      ++reads_;
      return std::string_view();
    }
    core::Result<void> rewind() override { return {}; }
    std::uint64_t stored_size() const override { return 0; }

   private:
    int& reads_;
  };
  int reads = 0;
  MessageSource source = MessageSource::from_reader(std::make_unique<CountingReader>(reads));
  source.known_facts({12345, true});
  auto facts = source.facts();
  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(facts->wire_size, 12345u);
  EXPECT_EQ(reads, 0);
}

}  // namespace
}  // namespace mailoauth::smtp
