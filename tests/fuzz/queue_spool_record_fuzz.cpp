// Fuzz target for the spool's records as read back from disk (a file damaged
// outside mailoauth is hostile input too): parse_envelope and parse_state must
// answer a value or queue.corrupt, never crash; whatever parses must encode
// and parse again to the same value (the attempt history included), and its header size must lie
// within the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/queue/spool_record.hpp"

using namespace mailoauth::queue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t header_size = 0;
  auto envelope = parse_envelope(input, header_size);
  if (envelope) {
    if (header_size > input.size()) std::abort();
    const std::string again = encode_envelope(*envelope);
    std::size_t again_size = 0;
    auto reparsed = parse_envelope(again, again_size);
    if (!reparsed || again_size != again.size() || reparsed->recipients != envelope->recipients ||
        reparsed->from != envelope->from || reparsed->helo != envelope->helo ||
        reparsed->received != envelope->received || reparsed->bounce_of != envelope->bounce_of) {
      std::abort();
    }
  } else if (envelope.error().code() != "queue.corrupt") {
    std::abort();
  }
  const std::size_t recipients = size == 0 ? 0 : data[0] % 8;
  auto state = parse_state(input, recipients);
  if (state) {
    if (state->recipients.size() != recipients) std::abort();
    auto reparsed = parse_state(encode_state(*state), recipients);
    if (!reparsed || reparsed->attempts != state->attempts || reparsed->hold != state->hold ||
        reparsed->delay_warned != state->delay_warned) {
      std::abort();
    }
    if (reparsed->history.size() != state->history.size() ||
        state->history.size() > kMaxAttemptHistory) {
      std::abort();
    }
    for (std::size_t i = 0; i < state->history.size(); ++i) {
      const AttemptRecord& a = state->history[i];
      const AttemptRecord& b = reparsed->history[i];
      if (a.when != b.when || a.status != b.status || a.relay != b.relay || a.to != b.to ||
          a.reply != b.reply) {
        std::abort();
      }
    }
    for (std::size_t i = 0; i < recipients; ++i) {
      if (reparsed->recipients[i].last_reply != state->recipients[i].last_reply ||
          reparsed->recipients[i].status != state->recipients[i].status) {
        std::abort();
      }
    }
  }
  return 0;
}
