// Fuzz target for the token endpoint response parser (hostile input: anything
// between us and the identity server may answer). The first byte picks the HTTP
// status class; the rest is the body. Parse or refuse, never crash; an Error's
// message never contains a line break.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/oauth2/token_response.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::oauth2;
  if (size == 0) return 0;
  static constexpr long kStatuses[] = {200, 400, 401, 404, 429, 500, 503, 302};
  const long status = kStatuses[data[0] % 8];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto response = parse_token_response(status, body);
  if (!response && response.error().message().find('\n') != std::string::npos) std::abort();
  (void)parse_token_endpoint_error(body);
  return 0;
}
