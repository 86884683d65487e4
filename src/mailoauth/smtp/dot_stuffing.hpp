// The DATA payload of SMTP (RFC 5321 section 4.5.2): a message becomes lines
// ending in CRLF, a line that starts with "." gets a second one, and
// "<CRLF>.<CRLF>" ends it. Messages handed to sendmail mode come from Unix
// programs with bare LF line endings, so a lone LF becomes CRLF on the way
// (as Postfix's sendmail does), and a lone CR too (a bare CR is refused by
// Exchange Online and Gmail alike). Works on chunks, so a large message
// streams through in bounded memory: the state between chunks is only
// "at the start of a line" and "the last byte was CR". BDAT (RFC 3030) counts
// its bytes instead of looking for a terminator, so with Framing::Bdat the
// line endings are made CRLF the same way but no dot is doubled and nothing
// but the missing final CRLF is added: the message arrives byte-identical
// either way. No I/O.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailoauth::smtp {

enum class Framing { Data, Bdat };

class DotStuffer {
 public:
  explicit DotStuffer(Framing framing = Framing::Data) : framing_(framing) {}

  // Appends the stuffed form of `chunk` to `out`.
  void feed(std::string_view chunk, std::string& out);
  // Appends what ends the DATA: a CRLF when the message did not end with one,
  // then ".\r\n" (Framing::Data only).
  void finish(std::string& out);

  // The longest line seen so far, in octets without its line ending, before
  // stuffing (RFC 5322 allows 998; servers differ on what they do above it).
  std::size_t longest_line() const { return longest_line_; }

 private:
  Framing framing_;
  bool at_line_start_ = true;
  bool after_cr_ = false;
  std::size_t line_length_ = 0;
  std::size_t longest_line_ = 0;
};

// The whole message at once: feed + finish.
std::string dot_stuff(std::string_view message);

}  // namespace mailoauth::smtp
