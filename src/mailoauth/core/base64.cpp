// Strict base64 encoder and decoder, table driven. The decoder walks the input
// once, validates as it goes and reports the first offending position; it never
// reads past the input, which the fuzz target checks under ASan.
#include <array>
#include <cstdint>

#include <fmt/format.h>

#include <mailoauth/core/base64.hpp>

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

std::string encode(std::string_view bytes, Alphabet alphabet, Padding padding) {
  const std::string_view symbols = alphabet == Alphabet::Standard ? kStandard : kUrlSafe;
  const bool pad = padding != Padding::Omitted;
  std::string out;
  out.reserve(encoded_size(bytes.size(), padding));
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t chunk =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
        static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(symbols[(chunk >> 18) & 0x3f]);
    out.push_back(symbols[(chunk >> 12) & 0x3f]);
    out.push_back(symbols[(chunk >> 6) & 0x3f]);
    out.push_back(symbols[chunk & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t chunk = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]))
                                << 16;
    out.push_back(symbols[(chunk >> 18) & 0x3f]);
    out.push_back(symbols[(chunk >> 12) & 0x3f]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    const std::uint32_t chunk =
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
        (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8);
    out.push_back(symbols[(chunk >> 18) & 0x3f]);
    out.push_back(symbols[(chunk >> 12) & 0x3f]);
    out.push_back(symbols[(chunk >> 6) & 0x3f]);
    if (pad) out.push_back('=');
  }
  return out;
}

Result<std::string> decode(std::string_view text, Alphabet alphabet, Padding padding) {
  const auto& table = alphabet == Alphabet::Standard ? kStandardTable : kUrlSafeTable;
  const std::string_view name = alphabet_name(alphabet);

  // Split off the padding, which may only stand at the end.
  std::size_t data_length = text.size();
  while (data_length > 0 && text[data_length - 1] == '=') --data_length;
  const std::size_t pad_count = text.size() - data_length;

  for (std::size_t i = 0; i < data_length; ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (table[byte] == kInvalid) {
      if (byte == '=') {
        return fail(ErrorClass::Permanent, "base64.misplaced_padding",
                    fmt::format("invalid {}: padding '=' at position {} before the end", name, i));
      }
      return fail(ErrorClass::Permanent, "base64.invalid_character",
                  fmt::format("invalid {}: {} at position {} is not in the alphabet", name,
                              describe_byte(byte), i));
    }
  }
  if (data_length % 4 == 1) {
    return fail(ErrorClass::Permanent, "base64.truncated",
                fmt::format("invalid {}: {} characters cannot encode whole bytes (truncated?)",
                            name, data_length));
  }
  const std::size_t expected_pad = (4 - data_length % 4) % 4;
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

  std::string out;
  out.reserve(data_length / 4 * 3 + 2);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_length; ++i) {
    accumulator = (accumulator << 6) | table[static_cast<unsigned char>(text[i])];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xff));
    }
  }
  // Canonical form: the bits that did not make a whole byte must be zero.
  if (bits > 0 && (accumulator & ((1u << bits) - 1)) != 0) {
    return fail(ErrorClass::Permanent, "base64.non_canonical",
                fmt::format("invalid {}: trailing bits of the last character are not zero", name));
  }
  return out;
}

}  // namespace mailoauth::core::base64
