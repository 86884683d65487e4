// SMTP server replies (RFC 5321 section 4.2) read incrementally, with no I/O:
// the client hands the parser whatever bytes arrived, and it answers "need
// more", one complete Reply, or an Error. Replies that arrive together (the
// answers to a PIPELINING batch, RFC 2920) come out one at a time, the rest
// kept inside until taken with next(). A server is untrusted input, so every
// limit is fixed at construction and checked as bytes arrive: an overlong line
// is refused once it passes the limit, not after it has been buffered, and
// nothing grows without bound. After an error the stream is out of step and
// stays failed (the connection must be closed); replies completed before the
// bad byte still come out first, in order.
//
// What is accepted: a three-digit code (2-5, 0-5, 0-9), then "-" for a
// continuation line, " " or nothing for the last line; the same code on every
// line; text of HT and printable characters, and 8-bit bytes (SMTPUTF8 servers
// send UTF-8). CRLF ends a line; a bare LF is accepted and noted in the Reply
// (some appliances send it), a CR anywhere else is refused, as is NUL.
// An enhanced status code (RFC 3463, announced by ENHANCEDSTATUSCODES, RFC
// 2034) at the start of the text is parsed when its class matches the reply's.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::smtp {

// "5.7.139": class, subject, detail (RFC 3463 section 2). `class` is a C++
// keyword, hence status_class.
struct EnhancedStatus {
  int status_class = 0;  // 2, 4 or 5
  int subject = 0;       // 0..999
  int detail = 0;        // 0..999

  std::string to_string() const;
  friend bool operator==(const EnhancedStatus&, const EnhancedStatus&) = default;
};

// The enhanced status code at the start of a reply line's text, when there is
// one whose class matches the reply code's first digit, followed by a space
// or the end of the text. "5.7.139 Authentication unsuccessful" with 535.
std::optional<EnhancedStatus> parse_enhanced_status(std::string_view text, int reply_code);

struct Reply {
  int code = 0;  // 200..599
  // From the first line that carries one (RFC 2034 puts it on every line).
  std::optional<EnhancedStatus> enhanced_status;
  // The text of each line after "250-" / "250 ", byte for byte (the enhanced
  // status code included), without the line ending. At least one line.
  std::vector<std::string> lines;
  bool bare_line_feed = false;  // a line ended in LF without CR

  // RFC 5321 4.2.1's three outcomes: 2xx and 3xx (completion or intermediate,
  // such as 334 and 354), 4xx, 5xx.
  bool is_positive() const { return code >= 200 && code < 400; }
  bool is_intermediate() const { return code >= 300 && code < 400; }
  bool is_transient() const { return code >= 400 && code < 500; }
  bool is_permanent() const { return code >= 500 && code < 600; }
  // The lines joined by "\n".
  std::string text() const;
};

struct ReplyLimits {
  // Bytes of one line without its line ending. RFC 5321 says 512, but Gmail and
  // Exchange Online send longer ones (diagnostic URLs, server names).
  std::size_t max_line_length = 4096;
  std::size_t max_lines = 1000;  // lines of one reply
  // Bytes of one reply, line endings included.
  std::size_t max_reply_size = 64 * 1024;
  // Bytes of complete replies fed but not taken yet. A client that takes the
  // replies after each read never comes near it.
  std::size_t max_pending_size = 1024 * 1024;
};

class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = {});

  // Takes the bytes, then answers as next() does.
  core::Result<std::optional<Reply>> feed(std::string_view bytes);
  // The next complete reply from the bytes fed so far; nullopt: need more.
  // Once all replies before it are taken, an error is answered on every call.
  core::Result<std::optional<Reply>> next();

  // Bytes fed and not yet handed out as a Reply (complete replies waiting and
  // the partial one). After the 220 to STARTTLS this must be 0: anything else
  // was sent in plain text and would be read as if it came over TLS (a man in
  // the middle's injected replies, RFC 3207 section 4.2), so the client fails.
  std::size_t buffered_size() const;
  bool failed() const { return error_.has_value(); }
  const ReplyLimits& limits() const { return limits_; }

 private:
  void consume(std::string_view bytes);
  void finish_line();
  void fail_with(core::ErrorClass error_class, std::string code, std::string message,
                 std::string remedy = {});

  ReplyLimits limits_;
  std::string line_;  // the line being received, without its LF
  Reply current_;     // the reply being received (lines so far)
  std::size_t current_size_ = 0;
  std::size_t line_number_ = 0;  // of the line being received, in the stream, from 1
  std::deque<std::pair<Reply, std::size_t>> ready_;  // complete replies and their sizes
  std::size_t ready_size_ = 0;
  std::optional<core::Error> error_;
};

}  // namespace mailoauth::smtp
