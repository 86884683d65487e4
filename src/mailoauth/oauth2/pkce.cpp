// Randomness and SHA-256 from libsodium (already the store's crypto library).
#include "mailoauth/oauth2/pkce.hpp"

#include <array>
#include <mutex>
#include <stdexcept>

#include <sodium.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::oauth2 {

namespace {
std::string random_base64url(std::size_t bytes) {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  });
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string encoded =
      core::base64::encode(raw, core::base64::Alphabet::UrlSafe, core::base64::Padding::Omitted);
  core::secure_wipe(raw.data(), raw.size());
  return encoded;
}
}  // namespace

core::Secret make_code_verifier() {
  return core::Secret::take(random_base64url(32));
}

std::string code_challenge_s256(std::string_view verifier) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(verifier.data()),
                     verifier.size());
  return core::base64::encode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()),
      core::base64::Alphabet::UrlSafe, core::base64::Padding::Omitted);
}

std::string make_state() {
  return random_base64url(16);
}

}  // namespace mailoauth::oauth2
