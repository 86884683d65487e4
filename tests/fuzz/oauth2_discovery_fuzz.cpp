// Fuzz target for the server metadata parser (hostile input: a DNS or proxy
// mistake can put anyone's document there). The body is the input; the
// expected issuer is fixed. Parse or refuse, never crash; accepted metadata
// names exactly the expected issuer and a token endpoint, and an error's
// message is one line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/oauth2/discovery.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::oauth2;
  constexpr std::string_view kIssuer = "https://id.example";
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto metadata = parse_server_metadata(body, kIssuer);
  if (!metadata) {
    if (metadata.error().message().find('\n') != std::string::npos) std::abort();
    return 0;
  }
  if (metadata->issuer != kIssuer || metadata->token_endpoint.empty()) std::abort();
  (void)metadata->lists_s256();
  return 0;
}
