// A left-to-right scanner: the value up to the first ';' outside quotes,
// then `name=value` pairs separated by ';'. Parameters are kept raw; the
// RFC 2231 joining and decoding happens when one is asked for, since only a
// few (boundary, name, filename) ever are.
#include "mailoauth/mime/header_parameters.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "mailoauth/compat/encoded_words.hpp"
#include "mailoauth/core/ascii.hpp"

namespace mailoauth::mime {

namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string lower(std::string_view text) {
  std::string result(text);
  std::ranges::transform(result, result.begin(), core::ascii_lower);
  return result;
}

// One segment up to an unquoted ';' (or the end); `at` moves past the ';'.
// Quoted strings lose their quotes and escapes; outside quotes, text is kept.
std::string next_segment(std::string_view text, std::size_t& at, bool& quoted) {
  std::string segment;
  quoted = false;
  bool in_quotes = false;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (in_quotes) {
      if (c == '\\' && at + 1 < text.size()) {
        segment += text[++at];
      } else if (c == '"') {
        in_quotes = false;
      } else {
        segment += c;
      }
    } else if (c == '"') {
      in_quotes = quoted = true;
    } else if (c == ';') {
      ++at;
      return segment;
    } else {
      segment += c;
    }
  }
  return segment;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = core::ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      decoded += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      decoded += text[i];
    }
  }
  return decoded;
}

std::string latin1_to_utf8(std::string_view text) {
  std::string utf8;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      utf8 += c;
    } else {
      utf8 += static_cast<char>(0xC0 | (byte >> 6));
      utf8 += static_cast<char>(0x80 | (byte & 0x3F));
    }
  }
  return utf8;
}

}  // namespace

ParameterizedValue parse_parameterized(std::string_view field_value) {
  ParameterizedValue parsed;
  std::size_t at = 0;
  bool quoted = false;
  parsed.value = lower(trimmed(next_segment(field_value, at, quoted)));
  while (at < field_value.size() && parsed.parameters.size() < kMaxParameters) {
    const std::string segment = next_segment(field_value, at, quoted);
    const std::size_t equals = segment.find('=');
    if (equals == std::string::npos) continue;
    std::string name = lower(trimmed(std::string_view(segment).substr(0, equals)));
    std::string_view value = std::string_view(segment).substr(equals + 1);
    if (!quoted) value = trimmed(value);
    if (name.empty()) continue;
    parsed.parameters.emplace_back(std::move(name), std::string(value));
  }
  return parsed;
}

std::string ParameterizedValue::parameter(std::string_view name) const {
  // RFC 2231: name* (one extended section) or name*0, name*1*, ... in any order.
  std::map<int, std::pair<std::string, bool>> sections;  // index -> (text, extended)
  for (const auto& [key, text] : parameters) {
    if (key.size() <= name.size() || !key.starts_with(name) || key[name.size()] != '*') continue;
    std::string_view suffix = std::string_view(key).substr(name.size() + 1);
    if (suffix.empty()) {
      sections[0] = {text, true};
      continue;
    }
    const bool extended = suffix.ends_with('*');
    if (extended) suffix.remove_suffix(1);
    int index = 0;
    const auto [end, error] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), index);
    if (error != std::errc() || end != suffix.data() + suffix.size() || index < 0 ||
        index >= static_cast<int>(kMaxParameters)) {
      continue;
    }
    sections[index] = {text, extended};
  }
  if (sections.empty()) {
    for (const auto& [key, text] : parameters) {
      if (key == name) return compat::decode_encoded_words(text);
    }
    return {};
  }
  std::string charset;
  std::string joined;
  for (auto& [index, section] : sections) {
    std::string_view text = section.first;
    if (section.second) {
      if (index == 0) {  // charset'language'text
        const std::size_t first = text.find('\'');
        const std::size_t second =
            first == std::string_view::npos ? first : text.find('\'', first + 1);
        if (second != std::string_view::npos) {
          charset = lower(text.substr(0, first));
          text.remove_prefix(second + 1);
        }
      }
      joined += percent_decoded(text);
    } else {
      joined += text;
    }
  }
  if (charset == "iso-8859-1" || charset == "latin1") return latin1_to_utf8(joined);
  return joined;
}

}  // namespace mailoauth::mime
