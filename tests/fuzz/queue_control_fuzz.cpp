// Fuzz target for the queue tool's parsers of text it did not write itself:
// a control request line (from whoever reaches the relay's socket), a reply
// line (from whatever listens there) and the listing cache (a file in the
// spool). Each must answer a value or an error, never crash; a request that
// parses names only a queue id or a route word and encodes to a line that
// parses the same; the cache's entries lie within the input, in id order.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/queue/control_protocol.hpp"
#include "mailoauth/queue/listing_cache.hpp"
#include "mailoauth/queue/spool.hpp"

using namespace mailoauth::queue;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto request = parse_control_request(input);
  if (request) {
    if (!request->argument.empty() && !is_queue_id(request->argument) &&
        !is_route_word(request->argument)) {
      std::abort();
    }
    const std::string line = encode_control_request(*request);
    auto again = parse_control_request(std::string_view(line).substr(0, line.size() - 1));
    if (!again || again->verb != request->verb || again->argument != request->argument) {
      std::abort();
    }
  } else if (request.error().code() != "queue.control_request") {
    std::abort();
  }
  auto reply = parse_control_reply(input);
  if (reply && reply->text.size() > input.size()) std::abort();
  const auto entries = parse_listing_cache(input);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const CachedEnvelope& entry = entries[i];
    if (entry.header.data() < input.data() ||
        entry.header.data() + entry.header.size() > input.data() + input.size()) {
      std::abort();
    }
    if (i > 0 && !(entries[i - 1].id < entry.id)) std::abort();
  }
  return 0;
}
