// Modified UTF-7 both ways, with a small strict UTF-8 reader (no overlong
// forms, no surrogates, nothing above U+10FFFF) so that what we encode is what
// the user typed and what we decode is valid UTF-8 for the terminal. The base64
// of the encoded runs is core::base64's with ',' in place of '/'.
#include "mailoauth/imap/modified_utf7.hpp"

#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::imap {

namespace {

core::Error bad_name(std::string why) {
  return core::Error(core::ErrorClass::Permanent, "imap.bad_mailbox_name",
                     "invalid modified UTF-7 mailbox name: " + std::move(why));
}

bool is_printable_ascii(std::uint32_t c) {
  return c >= 0x20 && c <= 0x7e;
}

// The next code point of `text` at `position` (advanced past it), or nothing
// when the bytes there are not UTF-8.
std::optional<std::uint32_t> next_code_point(std::string_view text, std::size_t& position) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(position);
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  std::uint32_t minimum = 0;
  if (lead < 0x80) {
    ++position;
    return lead;
  } else if ((lead & 0xe0) == 0xc0) {
    length = 2, code_point = lead & 0x1fu, minimum = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, code_point = lead & 0x0fu, minimum = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, code_point = lead & 0x07u, minimum = 0x10000;
  } else {
    return std::nullopt;
  }
  if (position + length > text.size()) return std::nullopt;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(position + i) & 0xc0) != 0x80) return std::nullopt;
    code_point = (code_point << 6) | (byte(position + i) & 0x3fu);
  }
  if (code_point < minimum || code_point > 0x10ffff ||
      (code_point >= 0xd800 && code_point <= 0xdfff)) {
    return std::nullopt;
  }
  position += length;
  return code_point;
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  const auto put = [&out](std::uint32_t bits) { out += static_cast<char>(bits); };
  if (code_point < 0x80) {
    put(code_point);
  } else if (code_point < 0x800) {
    put(0xc0 | (code_point >> 6));
    put(0x80 | (code_point & 0x3f));
  } else if (code_point < 0x10000) {
    put(0xe0 | (code_point >> 12));
    put(0x80 | ((code_point >> 6) & 0x3f));
    put(0x80 | (code_point & 0x3f));
  } else {
    put(0xf0 | (code_point >> 18));
    put(0x80 | ((code_point >> 12) & 0x3f));
    put(0x80 | ((code_point >> 6) & 0x3f));
    put(0x80 | (code_point & 0x3f));
  }
}

void flush_run(std::string& out, std::string& utf16) {
  if (utf16.empty()) return;
  std::string encoded =
      core::base64::encode(utf16, core::base64::Alphabet::Standard, core::base64::Padding::Omitted);
  for (char& c : encoded) {
    if (c == '/') c = ',';
  }
  out += '&';
  out += encoded;
  out += '-';
  utf16.clear();
}

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == ',') return 63;
  return -1;
}

// One "&...-" run's base64 (without '&' and '-') to UTF-8.
core::Result<void> decode_run(std::string_view run, std::string& out) {
  std::uint32_t bits = 0;
  int bit_count = 0;
  std::uint32_t high_surrogate = 0;  // 0: none pending
  for (char c : run) {
    const int value = base64_value(c);
    if (value < 0) {
      return core::fail(bad_name(
          fmt::format("the byte 0x{:02x} inside an &...- run", static_cast<unsigned char>(c))));
    }
    bits = ((bits << 6) | static_cast<std::uint32_t>(value)) & 0x3fffff;
    bit_count += 6;
    if (bit_count < 16) continue;
    bit_count -= 16;
    const std::uint32_t unit = (bits >> bit_count) & 0xffff;
    if (high_surrogate != 0) {
      if (unit < 0xdc00 || unit > 0xdfff) return core::fail(bad_name("a lone high surrogate"));
      append_utf8(out, 0x10000 + ((high_surrogate - 0xd800) << 10) + (unit - 0xdc00));
      high_surrogate = 0;
    } else if (unit >= 0xd800 && unit <= 0xdbff) {
      high_surrogate = unit;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return core::fail(bad_name("a lone low surrogate"));
    } else if (is_printable_ascii(unit)) {
      return core::fail(
          bad_name(fmt::format("the printable character '{}' encoded (it must stand for itself)",
                               static_cast<char>(unit))));
    } else if (unit == 0) {
      return core::fail(bad_name("an encoded NUL"));
    } else {
      append_utf8(out, unit);
    }
  }
  if (high_surrogate != 0) {
    return core::fail(bad_name("a high surrogate at the end of a run"));
  }
  if (bit_count >= 6 || (bits & ((1u << bit_count) - 1)) != 0) {
    return core::fail(bad_name("an &...- run that does not end on a character boundary"));
  }
  return {};
}

}  // namespace

core::Result<std::string> encode_modified_utf7(std::string_view utf8) {
  std::string out;
  std::string utf16;  // the pending run, big-endian
  std::size_t position = 0;
  while (position < utf8.size()) {
    const auto code_point = next_code_point(utf8, position);
    if (!code_point) {
      return core::fail(core::ErrorClass::Config, "imap.bad_mailbox_name",
                        "the mailbox name is not valid UTF-8");
    }
    if (*code_point == 0) {
      return core::fail(core::ErrorClass::Config, "imap.bad_mailbox_name",
                        "the mailbox name contains a NUL");
    }
    if (is_printable_ascii(*code_point)) {
      flush_run(out, utf16);
      out += *code_point == '&' ? std::string_view("&-") : std::string_view(&utf8[position - 1], 1);
      continue;
    }
    const auto put_unit = [&utf16](std::uint32_t unit) {
      utf16 += static_cast<char>(unit >> 8);
      utf16 += static_cast<char>(unit & 0xff);
    };
    if (*code_point >= 0x10000) {
      const std::uint32_t offset = *code_point - 0x10000;
      put_unit(0xd800 + (offset >> 10));
      put_unit(0xdc00 + (offset & 0x3ff));
    } else {
      put_unit(*code_point);
    }
  }
  flush_run(out, utf16);
  return out;
}

core::Result<std::string> decode_modified_utf7(std::string_view utf7) {
  std::string out;
  std::size_t position = 0;
  while (position < utf7.size()) {
    const char c = utf7[position];
    if (c == '&') {
      const std::size_t end = utf7.find('-', position + 1);
      if (end == std::string_view::npos) return core::fail(bad_name("an '&' without its '-'"));
      if (end == position + 1) {
        out += '&';
      } else if (auto decoded = decode_run(utf7.substr(position + 1, end - position - 1), out);
                 !decoded) {
        return core::fail(decoded.error());
      }
      position = end + 1;
      continue;
    }
    if (!is_printable_ascii(static_cast<unsigned char>(c))) {
      return core::fail(bad_name(
          fmt::format("the byte 0x{:02x} outside an &...- run", static_cast<unsigned char>(c))));
    }
    out += c;
    ++position;
  }
  return out;
}

}  // namespace mailoauth::imap
