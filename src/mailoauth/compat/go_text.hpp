// Go's text rules where check-mail's bytes depend on them: how `for _, r :=
// range s` decodes UTF-8 (an invalid byte is one U+FFFD, surrogates and
// overlong forms are invalid), `%q` quoting (strconv.Quote, used in
// `mailbox not found: "Junk"`), encoding/json's string escaping, and
// unicode.IsSpace (go-ini trims with it). No I/O.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace mailoauth::compat {

struct GoRune {
  char32_t rune;      // U+FFFD for an invalid byte
  std::size_t width;  // bytes consumed, 1 for an invalid byte
  bool valid;
};

inline constexpr char32_t kReplacementRune = 0xFFFD;

// The rune at text[offset] (offset < text.size()), decoded as Go's utf8.DecodeRuneInString.
GoRune decode_go_rune(std::string_view text, std::size_t offset);

void append_utf8(std::string& out, char32_t rune);

// fmt.Sprintf("%q", text). Non-ASCII printability follows Go's unicode.IsPrint
// for the common cases (controls, format characters, separators, private use);
// unassigned code points are treated as printable.
std::string go_quote(std::string_view text);

// A JSON string as Go's encoding/json writes it: `"` and `\` escaped, \n \r
// \t, other control bytes as \u00XX (\b and \f too, as Go before 1.22), `<`
// `>` `&` as \u003c \u003e \u0026, U+2028/U+2029 as \u2028/\u2029, and
// each invalid UTF-8 byte as \ufffd, so the result is always valid JSON.
std::string go_json_string(std::string_view text);

// unicode.IsSpace.
bool is_go_space(char32_t rune);

// strings.TrimSpace / strings.TrimLeftFunc(s, unicode.IsSpace).
std::string_view go_trim_space(std::string_view text);
std::string_view go_trim_left_space(std::string_view text);

}  // namespace mailoauth::compat
