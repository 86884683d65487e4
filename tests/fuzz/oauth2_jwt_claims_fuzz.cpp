// Fuzz target for JWT claim decoding for display (hostile input: a token pasted
// by a user, a file, whatever a server answered). Decode or refuse, never
// crash; no line that explain_claims or format_claims produces contains a line
// break or another control character taken from the token.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/oauth2/jwt_claims.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::oauth2;
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  auto claims = decode_jwt_claims(token);
  if (!claims) {
    if (claims.error().message().find('\n') != std::string::npos) std::abort();
    return 0;
  }
  const std::chrono::system_clock::time_point now{std::chrono::seconds{1'700'000'000}};
  for (const auto& lines : {explain_claims(*claims, now), format_claims(*claims)}) {
    for (const auto& line : lines) {
      for (const char c : line) {
        if (static_cast<unsigned char>(c) < 0x20) std::abort();
      }
    }
  }
  return 0;
}
