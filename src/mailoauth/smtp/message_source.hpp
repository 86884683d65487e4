// Where the bytes of a message come from when the SMTP client sends it: a
// buffer in memory (a message `mailoauth send` built) or a file read in
// chunks (a spooled message of the relay, a 50 MB attachment), behind one
// move-only value, so that the client holds one chunk at a time and a large
// message costs a buffer, not its size twice. The client reads it twice at
// most: once to learn its facts (the size as it goes on the wire, for SIZE=;
// whether it has 8-bit bytes, for BODY=8BITMIME), unless the caller already
// knows them, and once to send it. Other sources (a spool file with its own
// header) plug in as a MessageReader. Reading a file is blocking I/O of 64 KiB
// at a time, bounded and local; no network here. A reader that must not
// block its caller's event loop (the relay's spool, read on a thread pool)
// reads ahead: the client awaits prepare_chunk()'s call-back before each
// next_chunk().
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::smtp {

inline constexpr std::size_t kMessageChunkSize = 64 * 1024;

// What the client needs to know about a message before MAIL.
struct MessageFacts {
  std::uint64_t wire_size = 0;  // octets with every line ending as CRLF, without dot-stuffing
  bool eight_bit = false;       // a byte >= 0x80 somewhere
};

// The facts of a message given whole (what a scan of a source finds).
MessageFacts facts_of(std::string_view message);

// A source of message bytes; implement it for a new kind of storage.
class MessageReader {
 public:
  virtual ~MessageReader() = default;
  // The next bytes (at most `max`), valid until the next call; empty at the end.
  virtual core::Result<std::string_view> read(std::size_t max) = 0;
  // Back to the first byte.
  virtual core::Result<void> rewind() = 0;
  // Octets as stored.
  virtual std::uint64_t stored_size() const = 0;
  // True for a reader whose read() is answered from bytes read elsewhere
  // (on a thread pool): before each read(max) the caller calls prepare(max,
  // ready) and waits for `ready`, which is called once, from any thread.
  virtual bool reads_ahead() const { return false; }
  virtual void prepare(std::size_t max, std::function<void()> ready) {
    (void)max;
    ready();
  }
};

class MessageSource {
 public:
  // The message in memory (RFC 5322 text, LF or CRLF line endings, not dot-stuffed).
  static MessageSource from_buffer(std::string message, std::size_t chunk_size = kMessageChunkSize);
  // The message in a file, read `chunk_size` bytes at a time. Errors: the
  // file cannot be opened (Config: it names the path and the reason).
  static core::Result<MessageSource> from_file(const std::filesystem::path& path,
                                               std::size_t chunk_size = kMessageChunkSize);
  static MessageSource from_reader(std::unique_ptr<MessageReader> reader,
                                   std::size_t chunk_size = kMessageChunkSize);

  MessageSource(MessageSource&&) noexcept;
  MessageSource& operator=(MessageSource&&) noexcept;
  ~MessageSource();

  // The next chunk (at most the chunk size), valid until the next call;
  // empty at the end. Errors: reading failed (Temporary).
  core::Result<std::string_view> next_chunk();
  // See MessageReader::reads_ahead: when true, call prepare_chunk() and wait
  // for `ready` before each next_chunk().
  bool reads_ahead() const { return reader_->reads_ahead(); }
  void prepare_chunk(std::function<void()> ready) {
    reader_->prepare(chunk_size_, std::move(ready));
  }
  core::Result<void> rewind();
  std::uint64_t stored_size() const;

  // The facts, scanning the source once (and rewinding it) unless they were
  // given with known_facts() or scanned before.
  core::Result<MessageFacts> facts();
  // For a caller that already knows them (the relay's spool writes them down
  // as it receives the message), so a large file is not read twice.
  void known_facts(MessageFacts facts) { facts_ = facts; }

 private:
  MessageSource(std::unique_ptr<MessageReader> reader, std::size_t chunk_size);
  std::unique_ptr<MessageReader> reader_;
  std::size_t chunk_size_;
  std::optional<MessageFacts> facts_;
};

}  // namespace mailoauth::smtp
