// The buffer and file readers of message_source.hpp, and the scan that
// learns a message's facts chunk by chunk (a CR at the end of one chunk and
// its LF at the start of the next are one line ending).
#include "mailoauth/smtp/message_source.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>
#include <sys/stat.h>

namespace mailoauth::smtp {

using core::ErrorClass;

namespace {

class BufferReader final : public MessageReader {
 public:
  explicit BufferReader(std::string message) : message_(std::move(message)) {}
  core::Result<std::string_view> read(std::size_t max) override {
    const std::size_t count = std::min(max, message_.size() - offset_);
    std::string_view chunk(message_.data() + offset_, count);
    offset_ += count;
    return chunk;
  }
  core::Result<void> rewind() override {
    offset_ = 0;
    return {};
  }
  std::uint64_t stored_size() const override { return message_.size(); }

 private:
  std::string message_;
  std::size_t offset_ = 0;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePointer = std::unique_ptr<std::FILE, FileCloser>;

class FileReader final : public MessageReader {
 public:
  FileReader(std::filesystem::path path, FilePointer file, std::uint64_t size)
      : path_(std::move(path)), file_(std::move(file)), size_(size) {}
  core::Result<std::string_view> read(std::size_t max) override {
    buffer_.resize(max);
    const std::size_t count = std::fread(buffer_.data(), 1, max, file_.get());
    if (count < max && std::ferror(file_.get()) != 0) {
      return core::fail(
          ErrorClass::Temporary, "smtp.message_read",
          fmt::format("reading the message {}: {}", path_.string(), std::strerror(errno)));
    }
    return std::string_view(buffer_.data(), count);
  }
  core::Result<void> rewind() override {
    if (std::fseek(file_.get(), 0, SEEK_SET) != 0) {
      return core::fail(
          ErrorClass::Temporary, "smtp.message_read",
          fmt::format("rewinding the message {}: {}", path_.string(), std::strerror(errno)));
    }
    std::clearerr(file_.get());
    return {};
  }
  std::uint64_t stored_size() const override { return size_; }

 private:
  std::filesystem::path path_;
  FilePointer file_;
  std::uint64_t size_;
  std::string buffer_;
};

// The facts of a message fed chunk by chunk: CRLF stays, a bare LF or CR
// becomes CRLF, and DATA adds a CRLF when the message does not end with one.
class FactsScanner {
 public:
  void feed(std::string_view chunk) {
    if (chunk.empty()) return;
    facts_.wire_size += chunk.size();
    for (char c : chunk) {
      if (c == '\n' && !after_cr_) ++facts_.wire_size;
      if (after_cr_ && c != '\n') ++facts_.wire_size;
      after_cr_ = c == '\r';
      if ((static_cast<unsigned char>(c) & 0x80) != 0) facts_.eight_bit = true;
    }
    last_ = chunk.back();
  }
  MessageFacts finish() const {
    MessageFacts facts = facts_;
    if (after_cr_) ++facts.wire_size;
    if (last_ != '\n' && last_ != '\r') facts.wire_size += 2;
    return facts;
  }

 private:
  MessageFacts facts_;
  bool after_cr_ = false;
  char last_ = '\n';
};

}  // namespace

MessageFacts facts_of(std::string_view message) {
  FactsScanner scanner;
  scanner.feed(message);
  return scanner.finish();
}

MessageSource::MessageSource(std::unique_ptr<MessageReader> reader, std::size_t chunk_size)
    : reader_(std::move(reader)), chunk_size_(std::max<std::size_t>(chunk_size, 1)) {}
MessageSource::MessageSource(MessageSource&&) noexcept = default;
MessageSource& MessageSource::operator=(MessageSource&&) noexcept = default;
MessageSource::~MessageSource() = default;

MessageSource MessageSource::from_buffer(std::string message, std::size_t chunk_size) {
  MessageFacts facts = facts_of(message);
  MessageSource source(std::make_unique<BufferReader>(std::move(message)), chunk_size);
  source.facts_ = facts;
  return source;
}

core::Result<MessageSource> MessageSource::from_file(const std::filesystem::path& path,
                                                     std::size_t chunk_size) {
  FilePointer file(std::fopen(path.c_str(), "rbe"));  // e: O_CLOEXEC
  if (!file) {
    return core::fail(
        ErrorClass::Config, "smtp.message_open",
        fmt::format("cannot open the message {}: {}", path.string(), std::strerror(errno)),
        "check the path and its permissions");
  }
  struct stat status {};
  if (::fstat(::fileno(file.get()), &status) != 0 || !S_ISREG(status.st_mode)) {
    return core::fail(ErrorClass::Config, "smtp.message_open",
                      fmt::format("the message {} is not a regular file", path.string()));
  }
  // The reader holds one chunk itself; stdio's own buffer would be a second copy.
  std::setvbuf(file.get(), nullptr, _IONBF, 0);
  return MessageSource(std::make_unique<FileReader>(path, std::move(file),
                                                    static_cast<std::uint64_t>(status.st_size)),
                       chunk_size);
}

MessageSource MessageSource::from_reader(std::unique_ptr<MessageReader> reader,
                                         std::size_t chunk_size) {
  return MessageSource(std::move(reader), chunk_size);
}

core::Result<std::string_view> MessageSource::next_chunk() {
  return reader_->read(chunk_size_);
}

core::Result<void> MessageSource::rewind() {
  return reader_->rewind();
}

std::uint64_t MessageSource::stored_size() const {
  return reader_->stored_size();
}

core::Result<MessageFacts> MessageSource::facts() {
  if (facts_) return *facts_;
  FactsScanner scanner;
  for (;;) {
    auto chunk = next_chunk();
    if (!chunk) return core::fail(chunk.error());
    if (chunk->empty()) break;
    scanner.feed(*chunk);
  }
  const MessageFacts facts = scanner.finish();
  if (auto rewound = rewind(); !rewound) return core::fail(rewound.error());
  facts_ = facts;
  return facts;
}

}  // namespace mailoauth::smtp
