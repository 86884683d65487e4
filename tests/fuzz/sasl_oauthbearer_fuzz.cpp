// Fuzz target for the server-side oauthbearer parser: any input must be parsed or
// refused with an error, never crash, and an accepted response must survive a
// rebuild and re-parse with the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/sasl/oauthbearer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::sasl;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_oauthbearer_response(input, 4096);
  if (!parsed) return 0;
  auto rebuilt = oauthbearer_initial_response(parsed->user, parsed->token,
                                              OAuthBearerTarget{parsed->host, parsed->port});
  if (!rebuilt) return 0;  // a host with CR/LF is legal in a value, refused when sending
  auto again = parse_oauthbearer_response(rebuilt->reveal(), 1 << 20);
  if (!again || again->user != parsed->user || again->host != parsed->host ||
      again->port != parsed->port || !again->token.equals(parsed->token)) {
    std::abort();
  }
  return 0;
}
