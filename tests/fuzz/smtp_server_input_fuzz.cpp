// Fuzz target for the relay's input framing in DATA and BDAT mode. The first
// byte picks the piece size; the rest is fed once whole and once in pieces,
// after DATA (or a BDAT of a size taken from the second byte). Both runs must
// give the same content, the same end, and the same command lines after it
// (so where the message ends never depends on how TCP split the bytes);
// content never exceeds the size limit; the buffer stays within its bound.
// Then the round trip the relay makes: content with only CRLF line ends, stuffed
// again by the SMTP client's DotStuffer, must read back as the same content
// ending exactly at the stuffer's terminator.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/smtp/dot_stuffing.hpp"
#include "mailoauth/smtp/server_input.hpp"

namespace {

using namespace mailoauth::smtp;

constexpr ServerInputLimits kLimits{
    .max_line_length = 64, .max_buffered = 256, .max_message_size = 4096};

struct Outcome {
  std::string content;
  bool ended = false;
  std::vector<std::string> lines;
};

Outcome run(std::string_view input, std::size_t piece, bool chunk, std::uint64_t chunk_size) {
  ServerInput framing(kLimits);
  if (chunk) {
    framing.begin_chunk(chunk_size, true);
  } else {
    framing.begin_data();
  }
  Outcome outcome;
  for (;;) {
    while (!outcome.ended) {
      auto next = framing.next_content();
      if (!next) break;
      if (next->end) {
        outcome.ended = true;
        break;
      }
      outcome.content.append(next->bytes);
    }
    while (outcome.ended) {
      auto line = framing.next_line();
      if (!line) break;
      outcome.lines.push_back(line->too_long ? std::string("<too long>") : line->text);
    }
    if (framing.buffered() > kLimits.max_buffered) std::abort();
    if (input.empty()) break;
    const std::size_t taken = framing.feed(input.substr(0, piece));
    if (taken == 0) std::abort();  // everything pending was taken, so there is room
    input.remove_prefix(taken);
  }
  if (outcome.content.size() > kLimits.max_message_size) std::abort();
  return outcome;
}

bool only_crlf(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')) return false;
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t piece = 1 + data[0] % 32;
  const bool chunk = (data[1] & 0x80) != 0;
  const std::uint64_t chunk_size = data[1] & 0x7f;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const Outcome whole = run(input, input.size() + 1, chunk, chunk_size);
  const Outcome split = run(input, piece, chunk, chunk_size);
  if (whole.content != split.content || whole.ended != split.ended || whole.lines != split.lines) {
    std::abort();
  }
  if (!chunk && whole.ended && whole.content.size() < kLimits.max_message_size &&
      only_crlf(whole.content)) {
    const std::string stuffed = dot_stuff(whole.content);
    const Outcome again = run(stuffed, piece, false, 0);
    if (!again.ended || again.content != whole.content || !again.lines.empty()) std::abort();
  }
  return 0;
}
