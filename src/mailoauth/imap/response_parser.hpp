// An incremental IMAP4rev1 response parser (RFC 3501 sections 7 and 9, RFC 7888
// literals, RFC 3516 literal8) with no I/O: the client feeds it the bytes it
// read and it answers "need more", one complete Response, or an Error, keeping
// whatever follows for the next call. It reads a whole line before looking at
// it (lines are bounded), and a literal by its byte count, never by searching
// for CRLF inside it, so a literal split anywhere across reads comes out the
// same. Values are built with an explicit stack, not recursion, so a server
// nesting lists 10,000 deep meets the depth limit, not the end of our stack.
// Every size is bounded by limits fixed at construction; a server that breaks
// one, or sends something that is not IMAP, gets a Permanent error, and the
// parser stays failed afterwards (the stream can no longer be trusted, so the
// client drops the connection).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

struct ParserLimits {
  // One line without its CRLF (literals excluded; each line between literals counts alone).
  std::size_t max_line_length = 64 * 1024;
  // A literal in FETCH data (message bodies, headers).
  std::size_t max_literal_size = 64 * 1024 * 1024;
  // A literal anywhere else (mailbox names, ID values): nobody needs a megabyte there.
  std::size_t max_other_literal_size = 1024 * 1024;
  // Parentheses open at once (BODYSTRUCTURE nests a level per multipart).
  std::size_t max_depth = 32;
  // Values in one list, and at the top level of one response.
  std::size_t max_list_elements = 100'000;
  // Everything one response holds: its lines and literals together.
  std::size_t max_response_size = 96 * 1024 * 1024;
};

// "need more bytes" (an empty optional), one response, or what is wrong.
using ParseOutcome = core::Result<std::optional<Response>>;

class ResponseParser {
 public:
  explicit ResponseParser(ParserLimits limits = {});

  // Appends the bytes and returns the first complete response, if any. Call
  // next() until it answers "need more" before feeding again: one read may
  // carry several responses.
  ParseOutcome feed(std::string_view bytes);
  // The next complete response from what is buffered, without new bytes.
  ParseOutcome next();

  // Bytes held that are not part of a response handed out yet.
  std::size_t buffered() const { return buffer_.size() - start_; }
  bool failed() const { return failure_.has_value(); }
  const ParserLimits& limits() const { return limits_; }

 private:
  enum class Phase { LineStart, Values, Literal };

  core::Result<std::optional<std::string_view>> take_line();
  ParseOutcome parse_first_line(std::string_view line);
  ParseOutcome parse_value_line(std::string_view line);
  ParseOutcome start_literal(std::uint64_t size);
  ParseOutcome finish_data_response();
  ParseOutcome failure(core::Error error);
  void reset_response();

  ParserLimits limits_;
  std::string buffer_;
  std::size_t start_ = 0;    // first byte not consumed yet
  std::size_t scanned_ = 0;  // bytes after start_ already searched for LF
  Phase phase_ = Phase::LineStart;
  Response response_;        // the response being read
  std::vector<Value> open_;  // open_[0] holds the top-level values; the rest are open lists
  std::uint64_t literal_remaining_ = 0;
  std::size_t response_size_ = 0;
  std::optional<core::Error> failure_;
};

}  // namespace mailoauth::imap
