// Configuration files in TOML, read into a typed view whose every error names
// the file, the line and the key, says what was expected and what was found, and
// suggests the closest known key for a typo ("unknown key 'clinet_id' in
// [accounts.work]; did you mean 'client_id'?"). toml++ stays behind this header
// (pimpl) so the many files that read settings do not compile its 17,000 lines.
// A ConfigSection is a view: it is valid while its ConfigDocument lives.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::core {

class ConfigSection {
 public:
  // "accounts.work"; empty for the document root.
  const std::string& path() const { return path_; }
  // "config.toml:12" for a key (or the section itself when key is empty).
  std::string location(std::string_view key = {}) const;

  std::vector<std::string> keys() const;
  bool contains(std::string_view key) const;

  Result<std::string> required_string(std::string_view key) const;
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  Result<std::optional<std::int64_t>> optional_integer(std::string_view key, std::int64_t minimum,
                                                       std::int64_t maximum) const;
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  Result<std::optional<std::vector<std::string>>> optional_string_list(std::string_view key) const;
  Result<std::optional<ConfigSection>> optional_section(std::string_view key) const;
  // Sub-tables in file order, e.g. each [accounts.NAME].
  std::vector<std::pair<std::string, ConfigSection>> sections() const;

  // Refuses keys outside `known`, with a did-you-mean suggestion.
  Result<void> reject_unknown_keys(std::initializer_list<std::string_view> known) const;
  // The same from a table of keys (a reader's key table, say).
  Result<void> reject_unknown_keys(std::span<const std::string_view> known) const;

 private:
  friend class ConfigDocument;
  ConfigSection(const void* table, std::string path, const std::string* source)
      : table_(table), path_(std::move(path)), source_(source) {}

  std::string key_path(std::string_view key) const;
  Error type_error(std::string_view key, std::string_view expected) const;

  const void* table_;  // toml::table, hidden to keep toml++ out of this header
  std::string path_;
  const std::string* source_;
};

class ConfigDocument {
 public:
  // Reads and parses a file (at most kMaxSize bytes).
  static Result<ConfigDocument> load_file(const std::filesystem::path& path);
  // Parses text; source_name appears in error messages.
  static Result<ConfigDocument> parse(std::string_view text, std::string source_name);

  ConfigDocument(ConfigDocument&&) noexcept;
  ConfigDocument& operator=(ConfigDocument&&) noexcept;
  ~ConfigDocument();

  ConfigSection root() const;
  const std::string& source_name() const;

  static constexpr std::size_t kMaxSize = std::size_t{4} * 1024 * 1024;

 private:
  struct Impl;
  explicit ConfigDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace mailoauth::core
