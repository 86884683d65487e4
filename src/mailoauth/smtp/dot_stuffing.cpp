// SMTP DATA framing, a run of bytes at a time with two bits of state; see
// dot_stuffing.hpp.
#include "mailoauth/smtp/dot_stuffing.hpp"

#include <algorithm>

namespace mailoauth::smtp {

void DotStuffer::feed(std::string_view chunk, std::string& out) {
  out.reserve(out.size() + chunk.size() + chunk.size() / 64 + 8);
  std::size_t at = 0;
  while (at < chunk.size()) {
    if (after_cr_) {
      after_cr_ = false;
      if (chunk[at] == '\n') {  // the LF of a CRLF already written
        ++at;
        continue;
      }
    }
    // A run of ordinary bytes up to the next line end, appended at once.
    std::size_t end = chunk.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = chunk.size();
    if (end > at) {
      if (at_line_start_ && chunk[at] == '.' && framing_ == Framing::Data) out += '.';
      at_line_start_ = false;
      out.append(chunk.data() + at, end - at);
      line_length_ += end - at;
      at = end;
      continue;
    }
    out += "\r\n";
    after_cr_ = chunk[at] == '\r';
    at_line_start_ = true;
    longest_line_ = std::max(longest_line_, line_length_);
    line_length_ = 0;
    ++at;
  }
}

void DotStuffer::finish(std::string& out) {
  longest_line_ = std::max(longest_line_, line_length_);
  if (!at_line_start_) out += "\r\n";
  if (framing_ == Framing::Data) out += ".\r\n";
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
