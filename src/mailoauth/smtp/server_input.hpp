// What an SMTP client sends to the relay, framed with no I/O: the session
// feeds the bytes it read, and takes back command lines, or — after DATA or
// BDAT — pieces of message content, then the end of the message. One object
// for both so that bytes a client pipelined after DATA (or a hostile client
// sent early) are never lost or read twice when the session switches modes.
//
// Limits are fixed at construction and nothing grows without bound:
// - a command line longer than `max_line_length` is dropped as it arrives
//   (the session answers 500 5.5.2 once its end is seen and goes on), so ten
//   megabytes without a line feed cost one line's worth of memory;
// - `feed` takes at most `space()` bytes: the session reads no more than that,
//   and takes what is ready before reading again;
// - message content is handed out as views into the buffer, never copied.
//
// DATA (RFC 5321 4.5.2): a line that starts with a dot loses that dot; the
// message ends only at <CRLF>.<CRLF>. A bare LF (or a lone CR) never ends the
// message, whatever follows: that strictness is what keeps the relay out of
// SMTP smuggling (CVE-2023-51764 and its kin), where a second message hides
// behind an end-of-data sequence one server reads and the next does not. Bare
// line feeds in the content are counted (the policy decides; old printers
// send them) and passed on as they came; the SMTP client normalises them when
// it sends. Content beyond `max_message_size` is read and dropped, so the
// session can answer 552 after the end instead of losing sync.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailoauth::smtp {

struct ServerInputLimits {
  // RFC 5321 4.5.3.1.4 says 512 octets with CRLF; AUTH lines with a token and
  // a few legacy clients need more. Postfix's line_length_limit is 2048.
  std::size_t max_line_length = 2048;
  // Bytes held unread at most; also the largest read the session should make.
  std::size_t max_buffered = 64 * 1024;
  // Message content bytes after unstuffing; beyond it the rest is dropped.
  std::uint64_t max_message_size = 35ull * 1024 * 1024;
};

struct CommandLine {
  std::string text;       // without CR LF
  bool too_long = false;  // the line passed the limit: `text` is empty
  bool has_nul = false;   // a NUL byte was in it
  bool bare_lf = false;   // ended in LF without CR
};

// One piece of message content, valid until the next call that feeds or
// takes. `end` comes once, with an empty `bytes`.
struct ContentPiece {
  std::string_view bytes;
  bool end = false;
};

class ServerInput {
 public:
  explicit ServerInput(ServerInputLimits limits = {});

  // How many more bytes feed() takes now.
  std::size_t space() const;
  // Appends up to space() bytes; returns how many were taken.
  std::size_t feed(std::string_view bytes);
  // Bytes held that no command or piece has consumed yet.
  std::size_t buffered() const { return buffer_.size() - start_; }

  // --- command mode (the initial mode) ---
  // The next complete command line, or nullopt: need more bytes.
  std::optional<CommandLine> next_line();

  // --- content ---
  // After the 354 to DATA: content until <CRLF>.<CRLF>.
  void begin_data();
  // After BDAT n: exactly n bytes, taken as they are (RFC 3030). The sizes
  // and counts below start again with the first chunk of a message.
  void begin_chunk(std::uint64_t size, bool first_of_message);
  // The next piece, or nullopt: need more bytes. After `end`, back to command mode.
  std::optional<ContentPiece> next_content();
  bool in_content() const { return mode_ != Mode::Command; }

  // For the current (or last) message: content bytes seen after unstuffing,
  // whether the limit was passed (the content beyond it was dropped), and
  // the number of lines that ended in a bare LF.
  std::uint64_t content_size() const { return content_size_; }
  bool content_too_large() const { return content_size_ > limits_.max_message_size; }
  std::uint64_t bare_line_feeds() const { return bare_lf_count_; }

  const ServerInputLimits& limits() const { return limits_; }

 private:
  enum class Mode { Command, Data, Chunk };
  enum class DataState { LineStart, Middle, Dot, DotCr };

  void compact();
  std::optional<ContentPiece> emit(std::string_view bytes);
  std::optional<ContentPiece> next_data_piece();

  ServerInputLimits limits_;
  std::string buffer_;
  std::size_t start_ = 0;  // first unconsumed byte of buffer_
  Mode mode_ = Mode::Command;
  // command mode: dropping the rest of an overlong line
  bool discarding_ = false;
  // data mode
  DataState data_state_ = DataState::LineStart;
  bool last_was_cr_ = false;      // the last content byte handed out was CR
  bool line_after_crlf_ = true;   // the current line began after CR LF
  std::uint64_t chunk_left_ = 0;  // chunk mode
  std::uint64_t content_size_ = 0;
  std::uint64_t bare_lf_count_ = 0;
};

}  // namespace mailoauth::smtp
