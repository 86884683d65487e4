// Fuzz target for what a client sends the relay as a command: the input is
// framed into lines by ServerInput (small limits, so they are reached) and
// each line goes through parse_command. Whatever comes back must hold the
// grammar's promises: an accepted MAIL/RCPT address has no space, control
// character or angle bracket and fits RFC 5321's path limit; an accepted EHLO
// name has no control character; a refusal is a 5xx reply whose rendered text
// is exactly its lines, each ending in one CR LF (nothing a client sent can
// start a second reply line).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailoauth/smtp/server_command.hpp"
#include "mailoauth/smtp/server_input.hpp"

namespace {

using namespace mailoauth::smtp;

void check_reply(const ServerReply& reply) {
  if (reply.code < 500 || reply.code > 559) std::abort();
  const std::string wire = reply.render();
  std::size_t line_ends = 0;
  for (std::size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\n' && (i == 0 || wire[i - 1] != '\r')) std::abort();
    if (wire[i] == '\r' && (i + 1 >= wire.size() || wire[i + 1] != '\n')) std::abort();
    if (wire[i] == '\n') ++line_ends;
  }
  if (line_ends != reply.lines.size()) std::abort();
}

void check_command(const Command& command) {
  if (command.verb == Verb::Mail || command.verb == Verb::Rcpt) {
    if (command.address.size() + 2 > 256) std::abort();
    bool quoted = false;
    for (char c : command.address) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"') quoted = !quoted;
      if (byte < 0x20 || byte == 0x7f) std::abort();
      if (!quoted && (c == ' ' || c == '<' || c == '>')) std::abort();
    }
    if (command.verb == Verb::Rcpt && command.address.empty()) std::abort();
  }
  if (command.verb == Verb::Ehlo || command.verb == Verb::Helo) {
    if (command.argument.empty()) std::abort();
    for (char c : command.argument) {
      const auto byte = static_cast<unsigned char>(c);
      if (byte < 0x20 || byte == 0x7f) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  ServerInput framing({.max_line_length = 512, .max_buffered = 1024, .max_message_size = 1024});
  while (!input.empty()) {
    input.remove_prefix(framing.feed(input));
    while (auto line = framing.next_line()) {
      if (line->too_long) continue;
      if (line->text.size() > 512) std::abort();
      auto command = parse_command(line->text);
      if (command) {
        check_command(*command);
      } else {
        check_reply(command.error());
      }
    }
    if (framing.buffered() > 1024) std::abort();
  }
  return 0;
}
