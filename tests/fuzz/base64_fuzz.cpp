// Fuzz target for the strict base64 decoder: any input must either decode to
// bytes that re-encode to the same text (canonical form) or be refused with an
// error; it must never crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/core/base64.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::core::base64;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (auto alphabet : {Alphabet::Standard, Alphabet::UrlSafe}) {
    for (auto padding : {Padding::Required, Padding::Omitted, Padding::Optional}) {
      auto decoded = decode(text, alphabet, padding);
      if (!decoded) continue;
      const auto padded = encode(*decoded, alphabet, Padding::Required);
      const auto bare = encode(*decoded, alphabet, Padding::Omitted);
      if (text != padded && text != bare) std::abort();  // accepted a non-canonical form
    }
  }
  return 0;
}
