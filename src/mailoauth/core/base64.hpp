// Base64 (RFC 4648): the standard alphabet for SASL and MIME, the URL-safe one
// for JWTs and PKCE. Decoding is strict: any byte outside the alphabet, padding in
// the wrong place or of the wrong length, and non-zero bits left over in the last
// character are refused, because a SASL payload that decodes "leniently" is how a
// server ends up authenticating something the client never sent. It is a pure
// parser with no I/O and a fuzz target (tests/fuzz/base64_fuzz.cpp).
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::core::base64 {

enum class Alphabet { Standard, UrlSafe };
enum class Padding { Required, Omitted, Optional };

std::string encode(std::string_view bytes, Alphabet alphabet = Alphabet::Standard,
                   Padding padding = Padding::Required);

// Decodes `text` or explains precisely what is wrong (position and character).
// Padding::Required demands '=' to a multiple of 4, Omitted forbids it, Optional
// accepts both forms (but never a mix of wrong lengths).
Result<std::string> decode(std::string_view text, Alphabet alphabet = Alphabet::Standard,
                           Padding padding = Padding::Required);

// The length encode() will produce, for size checks before building a line.
std::size_t encoded_size(std::size_t byte_count, Padding padding = Padding::Required);

}  // namespace mailoauth::core::base64
