// INI files read the way go-ini (gopkg.in/ini.v1 v1.67.0) reads them with the
// options check-mail uses (`ini.Load(data)`: LoadOptions{} — case-sensitive
// names, delimiters `=` and `:`, inline comments on, continuation lines on, no
// Python multi-line values, no boolean keys, no shadows), so an accounts.ini
// that works with check-mail means the same here:
//   - `#` or `;` start a comment anywhere in an unquoted value, even inside
//     double quotes (`password = "a#b"` is `"a`); such a cut is recorded
//     (`IniKey::cut_at_comment`) so the tool can warn;
//   - a value in backticks or triple double quotes is taken verbatim, comment
//     characters included, and may span lines until the closing quote;
//   - a value wrapped in one pair of '...' or "..." with no other such quote
//     inside loses the pair; `"Inbox", "Junk EMail"` keeps its quotes;
//   - a value ending in `\` continues on the next line;
//   - the DEFAULT section exists before the first header; a repeated section
//     merges into the first, a repeated key replaces the value;
//   - lookup() falls back from `a.b` to `a` as go-ini's GetKey does (go-ini has
//     no fallback to DEFAULT: check-mail reads its shared keys there itself).
// Input is bounded (IniLimits) and every error names file:line. No I/O.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::compat {

struct IniLimits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_sections = 10'000;
  std::size_t max_keys = 100'000;
};

struct IniKey {
  std::string name;
  std::string value;
  int line = 0;                 // where the (last) value was set
  bool cut_at_comment = false;  // an inline # or ; removed the rest of the line
};

struct IniSection {
  std::string name;
  int line = 0;              // its first header; 0 for the implicit DEFAULT
  std::vector<IniKey> keys;  // first-appearance order

  const IniKey* find(std::string_view key) const;

 private:
  friend class GoIniParser;
  std::map<std::string, std::size_t, std::less<>> index_;
};

struct IniFile {
  std::vector<IniSection> sections;  // DEFAULT first, then first-appearance order

  const IniSection* section(std::string_view name) const;
  // go-ini's Section.GetKey: the section's key, else its parents' (`a.b` → `a`).
  const IniKey* lookup(const IniSection& section, std::string_view key) const;

 private:
  friend class GoIniParser;
  std::map<std::string, std::size_t, std::less<>> index_;
};

inline constexpr std::string_view kIniDefaultSection = "DEFAULT";

// Error code `ini.syntax` (Config): "<file>:<line>: <what>", or `ini.too_large`.
core::Result<IniFile> parse_go_ini(std::string_view text, std::string_view file_name,
                                   const IniLimits& limits = {});

}  // namespace mailoauth::compat
