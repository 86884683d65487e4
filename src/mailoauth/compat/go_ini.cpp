// go-ini's parser (parser.go of v1.67.0) followed step by step: lines are read
// up to and including '\n', left-trimmed with unicode.IsSpace, then classified
// as blank, comment, section header or key; values go through readValue's
// cases in the same order. Reading was learned from its source, not copied.
#include "mailoauth/compat/go_ini.hpp"

#include <fmt/format.h>

#include "mailoauth/compat/go_text.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::compat {

const IniKey* IniSection::find(std::string_view key) const {
  const auto found = index_.find(key);
  return found == index_.end() ? nullptr : &keys[found->second];
}

const IniSection* IniFile::section(std::string_view name) const {
  const auto found = index_.find(name);
  return found == index_.end() ? nullptr : &sections[found->second];
}

const IniKey* IniFile::lookup(const IniSection& start, std::string_view key) const {
  if (const IniKey* found = start.find(key)) return found;
  std::string_view name = start.name;
  for (;;) {
    const std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) return nullptr;
    name = name.substr(0, dot);
    if (const IniSection* parent = section(name)) return lookup(*parent, key);
  }
}

class GoIniParser {
 public:
  GoIniParser(std::string_view text, std::string_view file_name, const IniLimits& limits)
      : text_(text), file_name_(file_name), limits_(limits) {}

  core::Result<IniFile> parse() {
    if (text_.size() > limits_.max_bytes) {
      return core::fail(core::ErrorClass::Config, "ini.too_large",
                        fmt::format("{}: larger than {} bytes", file_name_, limits_.max_bytes));
    }
    skip_bom();
    IniSection* section = add_section(std::string(kIniDefaultSection), 0);
    int auto_increment = 1;
    while (!eof_) {
      const int line_number = next_line_number_;
      std::string_view line = go_trim_left_space(read_line());
      if (line.empty()) continue;
      if (line.front() == '#' || line.front() == ';') continue;
      if (line.front() == '[') {
        const std::size_t close = line.rfind(']');
        if (close == std::string_view::npos) {
          return error(line_number,
                       fmt::format("unclosed section: {}", core::escape_control_characters(
                                                               go_trim_space(line).substr(0, 80))));
        }
        std::string name(line.substr(1, close - 1));
        if (name.empty()) return error(line_number, "empty section name");
        if (file_.index_.contains(name)) {
          section = &file_.sections[file_.index_.find(name)->second];
        } else {
          if (file_.sections.size() >= limits_.max_sections) {
            return error(line_number, fmt::format("more than {} sections", limits_.max_sections));
          }
          section = add_section(std::move(name), line_number);
        }
        auto_increment = 1;
        continue;
      }
      auto key_name = read_key_name(line, line_number);
      if (!key_name) return std::unexpected(key_name.error());
      auto& [name, offset] = *key_name;
      if (name == "-") name = fmt::format("#{}", auto_increment++);
      IniKey key{std::move(name), {}, line_number, false};
      auto value = read_value(line.substr(offset), line_number, key.cut_at_comment);
      if (!value) return std::unexpected(value.error());
      key.value = std::move(*value);
      if (key.name.empty()) return error(line_number, "empty key name");
      if (auto added = add_key(*section, std::move(key)); !added) {
        return std::unexpected(added.error());
      }
    }
    return std::move(file_);
  }

 private:
  std::string_view text_;
  std::string_view file_name_;
  IniLimits limits_;
  std::size_t position_ = 0;
  bool eof_ = false;
  int next_line_number_ = 1;
  std::size_t key_count_ = 0;
  IniFile file_;

  std::unexpected<core::Error> error(int line, std::string what) const {
    return core::fail(core::ErrorClass::Config, "ini.syntax",
                      fmt::format("{}:{}: {}", file_name_, line, what));
  }

  void skip_bom() {
    const std::string_view rest = text_;
    if (rest.size() >= 2 &&
        ((rest[0] == '\xFE' && rest[1] == '\xFF') || (rest[0] == '\xFF' && rest[1] == '\xFE'))) {
      position_ = 2;
    } else if (rest.starts_with("\xEF\xBB\xBF")) {
      position_ = 3;
    }
  }

  // bufio.Reader.ReadBytes('\n'): up to and including '\n', or the rest at EOF.
  std::string_view read_line() {
    const std::size_t newline = text_.find('\n', position_);
    std::string_view line;
    if (newline == std::string_view::npos) {
      line = text_.substr(position_);
      position_ = text_.size();
      eof_ = true;
    } else {
      line = text_.substr(position_, newline + 1 - position_);
      position_ = newline + 1;
      ++next_line_number_;
    }
    return line;
  }

  IniSection* add_section(std::string name, int line) {
    file_.index_.emplace(name, file_.sections.size());
    IniSection& section = file_.sections.emplace_back();
    section.name = std::move(name);
    section.line = line;
    return &section;
  }

  core::Result<void> add_key(IniSection& section, IniKey key) {
    if (const auto found = section.index_.find(key.name); found != section.index_.end()) {
      IniKey& existing = section.keys[found->second];
      existing.value = std::move(key.value);
      existing.line = key.line;
      existing.cut_at_comment = key.cut_at_comment;
      return {};
    }
    if (++key_count_ > limits_.max_keys) {
      return error(key.line, fmt::format("more than {} keys", limits_.max_keys));
    }
    section.index_.emplace(key.name, section.keys.size());
    section.keys.push_back(std::move(key));
    return {};
  }

  // readKeyName: the name, and where the value starts (after the delimiter).
  core::Result<std::pair<std::string, std::size_t>> read_key_name(std::string_view line,
                                                                  int line_number) const {
    constexpr std::string_view kDelimiters = "=:";
    std::string_view quote;
    if (line.front() == '"') {
      quote = line.size() > 6 && line.starts_with("\"\"\"") ? "\"\"\"" : "\"";
    } else if (line.front() == '`') {
      quote = "`";
    }
    // The line itself is never quoted: it may be a password typed without "=".
    if (!quote.empty()) {
      const std::size_t start = quote.size();
      std::size_t close = line.find(quote, start);
      if (close == std::string_view::npos) return error(line_number, "missing closing key quote");
      const std::size_t delimiter = line.find_first_of(kDelimiters, close + start);
      if (delimiter == std::string_view::npos) {
        return error(line_number, "key-value delimiter (= or :) not found after the quoted key");
      }
      return std::pair{std::string(go_trim_space(line.substr(start, close - start))),
                       delimiter + 1};
    }
    const std::size_t delimiter = line.find_first_of(kDelimiters);
    if (delimiter == std::string_view::npos) {
      return error(line_number,
                   "key-value delimiter (= or :) not found: a line must be [section], "
                   "key = value or a # comment");
    }
    if (delimiter == 0) return error(line_number, "empty key name before = or :");
    return std::pair{std::string(go_trim_space(line.substr(0, delimiter))), delimiter + 1};
  }

  static bool has_surrounded_quote(std::string_view in, char quote) {
    return in.size() >= 2 && in.front() == quote && in.back() == quote &&
           in.substr(1).find(quote) == in.size() - 2;
  }

  core::Result<std::string> read_value(std::string_view in, int line_number, bool& cut) {
    std::string_view line = go_trim_left_space(in);
    if (line.empty()) return std::string();
    std::string_view quote;
    if (line.size() > 3 && line.starts_with("\"\"\"")) {
      quote = "\"\"\"";
    } else if (line.front() == '`') {
      quote = "`";
    }
    if (!quote.empty()) {
      const std::string_view rest = line.substr(quote.size());
      const std::size_t close = rest.rfind(quote);
      if (close != std::string_view::npos) return std::string(rest.substr(0, close));
      return read_multiple_lines(rest, quote, line_number);
    }
    line = go_trim_space(line);
    if (line.back() == '\\') return read_continuation_lines(line.substr(0, line.size() - 1));
    const std::size_t comment = line.find_first_of("#;");
    if (comment != std::string_view::npos) {
      line = go_trim_space(line.substr(0, comment));
      cut = true;
    }
    if (has_surrounded_quote(line, '\'') || has_surrounded_quote(line, '"')) {
      line = line.substr(1, line.size() - 2);
    }
    return std::string(line);
  }

  core::Result<std::string> read_multiple_lines(std::string_view first, std::string_view quote,
                                                int line_number) {
    std::string value(first);
    for (;;) {
      const std::string_view next = read_line();
      const std::size_t close = next.rfind(quote);
      if (close != std::string_view::npos) {
        value += next.substr(0, close);
        return value;
      }
      value += next;
      if (eof_) {
        return error(line_number, fmt::format("missing closing {} for the value begun here",
                                              quote == "`" ? "backtick" : "triple quote"));
      }
    }
  }

  std::string read_continuation_lines(std::string_view first) {
    std::string value(first);
    while (!eof_) {
      const std::string_view next = go_trim_space(read_line());
      if (next.empty()) break;
      value += next;
      if (value.back() != '\\') break;
      value.pop_back();
    }
    return value;
  }
};

core::Result<IniFile> parse_go_ini(std::string_view text, std::string_view file_name,
                                   const IniLimits& limits) {
  return GoIniParser(text, file_name, limits).parse();
}

}  // namespace mailoauth::compat
