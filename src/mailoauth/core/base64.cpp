// Strict base64 encoder and decoder, table driven. The decoder walks the input
// once, validates as it goes and reports the first offending position; it never
// reads past the input, which the fuzz target checks under ASan.
#include "mailoauth/core/base64.hpp"

#include <array>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace mailoauth::core::base64 {

namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_table(std::string_view alphabet) {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
  }
  return table;
}

// Encoding table of character pairs: 12 input bits -> 2 output characters, so three
// bytes take two lookups instead of four.
struct PairTable {
  std::array<char, std::size_t{4096} * 2> pairs{};
};

constexpr PairTable make_pair_table(std::string_view alphabet) {
  PairTable table;
  for (std::size_t i = 0; i < 4096; ++i) {
    table.pairs[2 * i] = alphabet[i >> 6];
    table.pairs[2 * i + 1] = alphabet[i & 0x3f];
  }
  return table;
}

constexpr PairTable kStandardPairs = make_pair_table(kStandard);
constexpr PairTable kUrlSafePairs = make_pair_table(kUrlSafe);

constexpr auto kStandardTable = make_table(kStandard);
constexpr auto kUrlSafeTable = make_table(kUrlSafe);

std::string describe_byte(unsigned char byte) {
  if (byte >= 0x21 && byte < 0x7f) return fmt::format("'{}'", static_cast<char>(byte));
  return fmt::format("byte 0x{:02x}", byte);
}

std::string_view alphabet_name(Alphabet alphabet) {
  return alphabet == Alphabet::Standard ? "base64" : "base64url";
}

}  // namespace

std::size_t encoded_size(std::size_t byte_count, Padding padding) {
  if (padding == Padding::Omitted) return (byte_count * 4 + 2) / 3;
  return (byte_count + 2) / 3 * 4;
}

namespace {

// Encodes into `o`, which has room for encoded_size(). A function of its own with
// only locals: writes through char* may alias anything, so state held in the
// caller's string object would be reloaded on every iteration. (std::string's
// resize_and_overwrite would be the idiom, but libstdc++ 12 sets a wrong length
// with it when the string grows out of its small buffer.)
void encode_into(const unsigned char* in, std::size_t size, char* o, const char* pairs,
                 const char* symbols, bool pad) {
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t chunk =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | std::uint32_t{in[i + 2]};
    std::memcpy(o, pairs + std::size_t{2} * (chunk >> 12), 2);
    std::memcpy(o + 2, pairs + std::size_t{2} * (chunk & 0xfff), 2);
    o += 4;
  }
  const std::size_t rest = size - i;
  if (rest > 0) {
    const std::uint32_t chunk =
        (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0u);
    *o++ = symbols[(chunk >> 18) & 0x3f];
    *o++ = symbols[(chunk >> 12) & 0x3f];
    if (rest == 2) *o++ = symbols[(chunk >> 6) & 0x3f];
    if (pad) {
      *o++ = '=';
      if (rest == 1) *o++ = '=';
    }
  }
}

}  // namespace

std::string encode(std::string_view bytes, Alphabet alphabet, Padding padding) {
  const bool standard = alphabet == Alphabet::Standard;
  std::string out(encoded_size(bytes.size(), padding), '\0');
  encode_into(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data(),
              standard ? kStandardPairs.pairs.data() : kUrlSafePairs.pairs.data(),
              standard ? kStandard.data() : kUrlSafe.data(), padding != Padding::Omitted);
  return out;
}

namespace {

// The slow path, taken only when the fast loop saw a byte outside the alphabet:
// finds the first one and says what and where it is.
Error diagnose_invalid(std::string_view text, std::size_t data_length,
                       const std::array<std::uint8_t, 256>& table, std::string_view name) {
  for (std::size_t i = 0; i < data_length; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (table[byte] != kInvalid) continue;
    if (byte == '=') {
      return Error(ErrorClass::Permanent, "base64.misplaced_padding",
                   fmt::format("invalid {}: padding '=' at position {} before the end", name, i));
    }
    return Error(ErrorClass::Permanent, "base64.invalid_character",
                 fmt::format("invalid {}: {} at position {} is not in the alphabet", name,
                             describe_byte(byte), i));
  }
  return Error(ErrorClass::Bug, "base64.diagnosis", "invalid base64 without an invalid byte");
}

}  // namespace

Result<std::string> decode(std::string_view text, Alphabet alphabet, Padding padding) {
  const auto& table = alphabet == Alphabet::Standard ? kStandardTable : kUrlSafeTable;
  const std::string_view name = alphabet_name(alphabet);

  // Split off the padding, which may only stand at the end.
  std::size_t data_length = text.size();
  while (data_length > 0 && text[data_length - 1] == '=') --data_length;
  const std::size_t pad_count = text.size() - data_length;

  // Fast path: whole quads, validity accumulated and checked once at the end.
  std::string out(data_length / 4 * 3 + 2, '\0');
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const std::size_t whole = data_length / 4 * 4;
  std::uint32_t seen = 0;
  for (std::size_t i = 0; i < whole; i += 4) {
    const std::uint32_t a = table[in[i]];
    const std::uint32_t b = table[in[i + 1]];
    const std::uint32_t c = table[in[i + 2]];
    const std::uint32_t d = table[in[i + 3]];
    seen |= a | b | c | d;
    const std::uint32_t chunk = (a << 18) | (b << 12) | (c << 6) | d;
    o[0] = static_cast<unsigned char>(chunk >> 16);
    o[1] = static_cast<unsigned char>(chunk >> 8);
    o[2] = static_cast<unsigned char>(chunk);
    o += 3;
  }
  const std::size_t rest = data_length - whole;
  std::uint32_t tail[3] = {0, 0, 0};
  for (std::size_t k = 0; k < rest; ++k) {
    tail[k] = table[in[whole + k]];
    seen |= tail[k];
  }
  if (seen & 0x80u) return fail(diagnose_invalid(text, data_length, table, name));

  if (rest == 1) {
    return fail(ErrorClass::Permanent, "base64.truncated",
                fmt::format("invalid {}: {} characters cannot encode whole bytes (truncated?)",
                            name, data_length));
  }
  const std::size_t expected_pad = (4 - rest) % 4;
  if (pad_count > 0 && padding == Padding::Omitted) {
    return fail(ErrorClass::Permanent, "base64.unexpected_padding",
                fmt::format("invalid {}: padding '=' is not allowed here", name));
  }
  if (pad_count > 0 && pad_count != expected_pad) {
    return fail(ErrorClass::Permanent, "base64.bad_padding",
                fmt::format("invalid {}: {} padding characters where {} belong", name, pad_count,
                            expected_pad));
  }
  if (pad_count == 0 && expected_pad > 0 && padding == Padding::Required) {
    return fail(ErrorClass::Permanent, "base64.missing_padding",
                fmt::format("invalid {}: length {} is not a multiple of 4 (padding missing)", name,
                            text.size()));
  }
  if (rest > 0) {
    const std::uint32_t chunk = (tail[0] << 18) | (tail[1] << 12) | (tail[2] << 6);
    // Canonical form: the bits that do not make a whole byte must be zero.
    const std::uint32_t unused_mask = rest == 2 ? 0xffffu : 0xffu;
    if ((chunk & unused_mask) != 0) {
      return fail(
          ErrorClass::Permanent, "base64.non_canonical",
          fmt::format("invalid {}: trailing bits of the last character are not zero", name));
    }
    *o++ = static_cast<unsigned char>(chunk >> 16);
    if (rest == 3) *o++ = static_cast<unsigned char>(chunk >> 8);
  }
  out.resize(static_cast<std::size_t>(o - reinterpret_cast<unsigned char*>(out.data())));
  return out;
}

}  // namespace mailoauth::core::base64
