// Server replies to wire text; see server_reply.hpp.
#include "mailoauth/smtp/server_reply.hpp"

#include <fmt/format.h>

namespace mailoauth::smtp {

namespace {

// Replies are ours, but their text may quote a client (an address, a
// domain): nothing in it may end the line early.
std::string line_text(std::string_view text) {
  std::string result(text);
  for (char& c : result) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = '?';
  }
  return result;
}

}  // namespace

std::string ServerReply::render() const {
  std::string wire;
  const std::size_t count = lines.empty() ? 1 : lines.size();
  for (std::size_t i = 0; i < count; ++i) {
    const std::string text = lines.empty() ? std::string() : line_text(lines[i]);
    const char separator = i + 1 < count ? '-' : ' ';
    if (status.empty()) {
      wire += fmt::format("{}{}{}\r\n", code, separator, text);
    } else {
      wire += fmt::format("{}{}{} {}\r\n", code, separator, status, text);
    }
  }
  return wire;
}

namespace reply {
ServerReply ok(std::string text) {
  return {250, "2.0.0", std::move(text)};
}
ServerReply syntax_error(std::string text) {
  return {501, "5.5.2", std::move(text)};
}
ServerReply unrecognised(std::string text) {
  return {500, "5.5.1", std::move(text)};
}
ServerReply bad_sequence(std::string text) {
  return {503, "5.5.1", std::move(text)};
}
ServerReply parameter_not_implemented(std::string text) {
  return {555, "5.5.4", std::move(text)};
}
ServerReply line_too_long() {
  return {500, "5.5.2", "Error: line too long"};
}
}  // namespace reply

std::string reply_safe(std::string_view text, std::size_t limit) {
  std::string result;
  result.reserve(std::min(text.size(), limit));
  for (char c : text.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(c);
    result += (byte < 0x20 || byte >= 0x7f) ? '?' : c;
  }
  return result;
}

}  // namespace mailoauth::smtp
