// ASCII-only, locale-free text comparisons for protocol words: mechanism names,
// HTTP header names, the Bearer scheme, IMAP and SMTP verbs. Protocols define
// these as case-insensitive ASCII, so std::tolower with a locale is wrong here.
#pragma once

#include <string_view>

namespace mailoauth::core {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Whether `fragment` occurs in `text`, ASCII case ignored (an empty fragment
// always does): how the error catalogues recognise a provider's wording.
constexpr bool icontains(std::string_view text, std::string_view fragment) {
  for (std::size_t i = 0; i + fragment.size() <= text.size(); ++i) {
    if (iequals(text.substr(i, fragment.size()), fragment)) return true;
  }
  return false;
}

}  // namespace mailoauth::core
