// What the relay's SMTP server says back (RFC 5321 section 4.2), as a value:
// a code, an enhanced status code (RFC 3463, announced with
// ENHANCEDSTATUSCODES, RFC 2034) and one or more lines of text. The pure server
// pieces (command grammar, input framing, policy) answer with these instead of
// writing to a socket, so every refusal is testable as bytes. render() is the
// one place replies become wire text: every line gets the code, "-" on all but
// the last, and text that could break the framing (CR, LF, NUL, other
// controls) is replaced, so nothing a client sent can be echoed into a second
// reply line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailoauth::smtp {

struct ServerReply {
  int code = 250;
  std::string status;  // "2.0.0"; empty for replies that carry none (220, 221, 354, EHLO's)
  std::vector<std::string> lines{""};

  ServerReply() = default;
  ServerReply(int reply_code, std::string enhanced_status, std::string text)
      : code(reply_code), status(std::move(enhanced_status)), lines{std::move(text)} {}

  bool positive() const { return code < 400; }
  // The reply on the wire, CRLF after every line.
  std::string render() const;
};

// Replies used in more than one place, named as RFC 5321 and 3463 name them.
namespace reply {
ServerReply ok(std::string text = "Ok");                  // 250 2.0.0
ServerReply syntax_error(std::string text);               // 501 5.5.2
ServerReply unrecognised(std::string text);               // 500 5.5.1
ServerReply bad_sequence(std::string text);               // 503 5.5.1
ServerReply parameter_not_implemented(std::string text);  // 555 5.5.4
ServerReply line_too_long();                              // 500 5.5.2
}  // namespace reply

// Text from a client made safe to put into a reply line: controls and bytes
// that are not printable ASCII become '?', and it is cut at `limit` bytes.
std::string reply_safe(std::string_view text, std::size_t limit = 200);

}  // namespace mailoauth::smtp
