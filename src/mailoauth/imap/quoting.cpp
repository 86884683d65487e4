// Choosing an astring's form. The atom test follows ATOM-CHAR exactly (any
// CHAR except atom-specials), so "INBOX" and "user@example.com" go bare while
// "Junk Email" is quoted; 8-bit bytes go in a literal because a quoted string
// may hold only 7-bit TEXT-CHARs before UTF8=ACCEPT.
#include "mailoauth/imap/quoting.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/imap/modified_utf7.hpp"

namespace mailoauth::imap {

namespace {

bool is_atom_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (byte <= 0x20 || byte >= 0x7f) return false;  // SP, CTL, 8-bit
  switch (c) {
    case '(':
    case ')':
    case '{':
    case '%':
    case '*':
    case '"':
    case '\\':
    case ']':
      return false;
    default:
      return true;
  }
}

// TEXT-CHAR: 7-bit, no control characters (CR and LF above all).
bool fits_quoted(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte >= 0x20 && byte < 0x7f;
}

}  // namespace

core::Result<Astring> quote_astring(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) {
    return core::fail(core::ErrorClass::Config, "imap.nul_in_argument",
                      "an IMAP command argument cannot contain a NUL byte");
  }
  if (!text.empty() && !core::iequals(text, "NIL") &&
      std::all_of(text.begin(), text.end(), is_atom_char)) {
    return Astring{AstringForm::Atom, std::string(text)};
  }
  if (std::all_of(text.begin(), text.end(), fits_quoted)) {
    std::string wire = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') wire += '\\';
      wire += c;
    }
    wire += '"';
    return Astring{AstringForm::Quoted, std::move(wire)};
  }
  return Astring{AstringForm::Literal, fmt::format("{{{}+}}\r\n{}", text.size(), text)};
}

core::Result<SecretAstring> quote_secret_astring(const core::Secret& text) {
  auto quoted = quote_astring(text.reveal());
  if (!quoted) return core::fail(quoted.error());
  return SecretAstring{quoted->form, core::Secret::take(std::move(quoted->wire))};
}

core::Result<Astring> quote_mailbox(std::string_view utf8_name) {
  auto encoded = encode_modified_utf7(utf8_name);
  if (!encoded) return core::fail(encoded.error());
  return quote_astring(*encoded);
}

}  // namespace mailoauth::imap
