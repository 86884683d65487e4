// RFC 2047 decoding for display (see the header).
#include "mailoauth/compat/encoded_words.hpp"

#include <array>
#include <optional>

#include "mailoauth/compat/go_text.hpp"
#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"

namespace mailoauth::compat {
namespace {

enum class Charset { Utf8, Latin1, Windows1252 };

std::optional<Charset> charset_of(std::string_view name) {
  if (const auto star = name.find('*'); star != std::string_view::npos) {
    name = name.substr(0, star);  // RFC 2231 language suffix
  }
  if (core::iequals(name, "utf-8") || core::iequals(name, "us-ascii") ||
      core::iequals(name, "utf8")) {
    return Charset::Utf8;
  }
  if (core::iequals(name, "iso-8859-1") || core::iequals(name, "latin1")) return Charset::Latin1;
  if (core::iequals(name, "windows-1252") || core::iequals(name, "cp1252")) {
    return Charset::Windows1252;
  }
  return std::nullopt;
}

// Windows-1252's 0x80..0x9F; 0 where the code page has no character.
constexpr std::array<char32_t, 32> kWindows1252High = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> decode_q(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string to_utf8(std::string_view bytes, Charset charset) {
  std::string out;
  if (charset == Charset::Utf8) {
    for (std::size_t i = 0; i < bytes.size();) {
      const GoRune rune = decode_go_rune(bytes, i);
      i += rune.width;
      append_utf8(out, rune.rune);
    }
    return out;
  }
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    char32_t rune = byte;
    if (charset == Charset::Windows1252 && byte >= 0x80 && byte < 0xA0) {
      rune = kWindows1252High[byte - 0x80] != 0 ? kWindows1252High[byte - 0x80] : 0xFFFD;
    }
    append_utf8(out, rune);
  }
  return out;
}

// One encoded word starting at `text` ("=?cs?e?data?="): its decoded text and length.
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view text) {
  if (!text.starts_with("=?")) return std::nullopt;
  const std::size_t charset_end = text.find('?', 2);
  if (charset_end == std::string_view::npos || charset_end + 2 >= text.size() ||
      text[charset_end + 2] != '?') {
    return std::nullopt;
  }
  const std::size_t data_start = charset_end + 3;
  const std::size_t data_end = text.find("?=", data_start);
  if (data_end == std::string_view::npos) return std::nullopt;
  const std::string_view data = text.substr(data_start, data_end - data_start);
  if (data.find(' ') != std::string_view::npos) return std::nullopt;
  const auto charset = charset_of(text.substr(2, charset_end - 2));
  if (!charset) return std::nullopt;
  std::optional<std::string> bytes;
  const char encoding = text[charset_end + 1];
  if (encoding == 'B' || encoding == 'b') {
    auto decoded = core::base64::decode(data, core::base64::Alphabet::Standard,
                                        core::base64::Padding::Optional);
    if (decoded) bytes = std::move(*decoded);
  } else if (encoding == 'Q' || encoding == 'q') {
    bytes = decode_q(data);
  }
  if (!bytes) return std::nullopt;
  return std::pair{to_utf8(*bytes, *charset), data_end + 2};
}

}  // namespace

std::string decode_encoded_words(std::string_view text) {
  std::string out;
  std::string pending_space;  // white space after an encoded word, dropped if another follows
  bool after_word = false;
  for (std::size_t i = 0; i < text.size();) {
    if (auto word = encoded_word(text.substr(i))) {
      if (!after_word) out += pending_space;
      pending_space.clear();
      out += word->first;
      i += word->second;
      after_word = true;
      continue;
    }
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (c == ' ' || c == '\t') pending_space += c;
      ++i;
      continue;
    }
    out += pending_space;
    pending_space.clear();
    after_word = false;
    const GoRune rune = decode_go_rune(text, i);
    append_utf8(out, rune.rune);
    i += rune.width;
  }
  out += pending_space;
  return out;
}

}  // namespace mailoauth::compat
