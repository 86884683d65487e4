// Fuzz target for the server-side xoauth2 parser: any input must be parsed or
// refused with an error, never crash, and an accepted response must survive a
// rebuild and re-parse with the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/sasl/xoauth2.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::sasl;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_xoauth2_response(input, 4096);
  if (!parsed) return 0;
  auto rebuilt = xoauth2_initial_response(parsed->user, parsed->token);
  if (!rebuilt) return 0;  // e.g. a user name the client side refuses (0x01 cannot occur)
  auto again = parse_xoauth2_response(rebuilt->reveal(), 1 << 20);
  if (!again || again->user != parsed->user || !again->token.equals(parsed->token)) std::abort();
  return 0;
}
