// Go's UTF-8 decoding, %q, JSON string escaping and IsSpace, from the Go specification and the
// strconv/unicode/utf8 package documentation.
#include "mailoauth/compat/go_text.hpp"

#include <fmt/format.h>

namespace mailoauth::compat {

GoRune decode_go_rune(std::string_view text, std::size_t offset) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[offset + i]); };
  const std::size_t left = text.size() - offset;
  const unsigned char first = byte(0);
  const GoRune invalid{kReplacementRune, 1, false};
  if (first < 0x80) return {first, 1, true};
  std::size_t width = 0;
  char32_t rune = 0;
  unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
  if (first >= 0xC2 && first <= 0xDF) {
    width = 2, rune = first & 0x1F;
  } else if (first >= 0xE0 && first <= 0xEF) {
    width = 3, rune = first & 0x0F;
    if (first == 0xE0) low = 0xA0;   // overlong
    if (first == 0xED) high = 0x9F;  // surrogates
  } else if (first >= 0xF0 && first <= 0xF4) {
    width = 4, rune = first & 0x07;
    if (first == 0xF0) low = 0x90;   // overlong
    if (first == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    return invalid;
  }
  if (left < width) return invalid;
  for (std::size_t i = 1; i < width; ++i) {
    const unsigned char c = byte(i);
    const unsigned char lo = i == 1 ? low : 0x80, hi = i == 1 ? high : 0xBF;
    if (c < lo || c > hi) return invalid;
    rune = (rune << 6) | (c & 0x3F);
  }
  return {rune, width, true};
}

void append_utf8(std::string& out, char32_t rune) {
  if (rune > 0x10FFFF || (rune >= 0xD800 && rune <= 0xDFFF)) rune = kReplacementRune;
  if (rune < 0x80) {
    out += static_cast<char>(rune);
  } else if (rune < 0x800) {
    out += static_cast<char>(0xC0 | (rune >> 6));
    out += static_cast<char>(0x80 | (rune & 0x3F));
  } else if (rune < 0x10000) {
    out += static_cast<char>(0xE0 | (rune >> 12));
    out += static_cast<char>(0x80 | ((rune >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (rune & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (rune >> 18));
    out += static_cast<char>(0x80 | ((rune >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((rune >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (rune & 0x3F));
  }
}

namespace {

bool is_go_print(char32_t r) {
  if (r < 0x20 || r == 0x7F) return false;
  if (r < 0x7F) return true;
  if (r >= 0x80 && r <= 0xA0) return false;  // C1 controls and no-break space (Zs is not U+0020)
  if (r == 0xAD) return false;               // soft hyphen (Cf)
  if (r >= 0x2000 && r <= 0x200F) return false;
  if (r >= 0x2028 && r <= 0x202F) return false;
  if (r >= 0x205F && r <= 0x206F) return false;
  if (r == 0x1680 || r == 0x3000 || r == 0xFEFF) return false;
  if (r >= 0xFFF9 && r <= 0xFFFB) return false;
  if (r >= 0xE000 && r <= 0xF8FF) return false;  // private use
  if (r >= 0xF0000) return false;                // supplementary private use
  return true;
}

}  // namespace

std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const GoRune r = decode_go_rune(text, i);
    if (!r.valid) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(text[i]));
      i += 1;
      continue;
    }
    i += r.width;
    switch (r.rune) {
      case '"':
        out += "\\\"";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      default:
        break;
    }
    if (is_go_print(r.rune)) {
      append_utf8(out, r.rune);
    } else if (r.rune < 0x20 || r.rune == 0x7F) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned>(r.rune));
    } else if (r.rune < 0x10000) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(r.rune));
    } else {
      out += fmt::format("\\U{:08x}", static_cast<unsigned>(r.rune));
    }
  }
  out += '"';
  return out;
}

std::string go_json_string(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const GoRune r = decode_go_rune(text, i);
    i += r.width;
    if (!r.valid) {
      out += "\\ufffd";
      continue;
    }
    switch (r.rune) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '<':
      case '>':
      case '&':
      case 0x2028:
      case 0x2029:
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(r.rune));
        break;
      default:
        if (r.rune < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(r.rune));
        } else {
          append_utf8(out, r.rune);
        }
    }
  }
  out += '"';
  return out;
}

bool is_go_space(char32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

std::string_view go_trim_left_space(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const GoRune r = decode_go_rune(text, i);
    if (!r.valid || !is_go_space(r.rune)) break;
    i += r.width;
  }
  return text.substr(i);
}

std::string_view go_trim_space(std::string_view text) {
  text = go_trim_left_space(text);
  // Walk forward remembering where the last non-space rune ended.
  std::size_t end = 0;
  for (std::size_t i = 0; i < text.size();) {
    const GoRune r = decode_go_rune(text, i);
    i += r.width;
    if (!r.valid || !is_go_space(r.rune)) end = i;
  }
  return text.substr(0, end);
}

}  // namespace mailoauth::compat
