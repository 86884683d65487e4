// SMTP DATA framing, byte by byte with two bits of state; see dot_stuffing.hpp.
#include "mailoauth/smtp/dot_stuffing.hpp"

#include <algorithm>

namespace mailoauth::smtp {

void DotStuffer::feed(std::string_view chunk, std::string& out) {
  out.reserve(out.size() + chunk.size() + chunk.size() / 64 + 8);
  for (char c : chunk) {
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;  // the LF of a CRLF already written
    }
    if (c == '\r' || c == '\n') {
      out += "\r\n";
      after_cr_ = c == '\r';
      at_line_start_ = true;
      longest_line_ = std::max(longest_line_, line_length_);
      line_length_ = 0;
      continue;
    }
    if (at_line_start_ && c == '.') out += '.';
    at_line_start_ = false;
    out += c;
    ++line_length_;
  }
}

void DotStuffer::finish(std::string& out) {
  longest_line_ = std::max(longest_line_, line_length_);
  if (!at_line_start_) out += "\r\n";
  out += ".\r\n";
  at_line_start_ = true;
  after_cr_ = false;
  line_length_ = 0;
}

std::string dot_stuff(std::string_view message) {
  DotStuffer stuffer;
  std::string out;
  stuffer.feed(message, out);
  stuffer.finish(out);
  return out;
}

}  // namespace mailoauth::smtp
