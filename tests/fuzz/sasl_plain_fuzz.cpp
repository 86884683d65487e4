// Fuzz target for the server-side plain parser: any input must be parsed or
// refused with an error, never crash, and an accepted response must survive a
// rebuild and re-parse with the same fields.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/sasl/plain.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::sasl;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_plain_response(input, 4096);
  if (!parsed) return 0;
  auto rebuilt = plain_initial_response(parsed->authzid, parsed->authcid, parsed->password);
  if (!rebuilt) return 0;  // CR/LF in a name is parseable but refused when sending
  auto again = parse_plain_response(rebuilt->reveal(), 1 << 20);
  if (!again || again->authcid != parsed->authcid || again->authzid != parsed->authzid ||
      !again->password.equals(parsed->password)) {
    std::abort();
  }
  return 0;
}
