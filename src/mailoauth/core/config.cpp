// TOML loading over toml++ with errors a person can act on. toml++ throws
// toml::parse_error; it is caught here and turned into a Config Error carrying
// "file:line:column: description". Typed getters report the line of the
// offending value and the TOML type that was found instead of the one expected.
#include "mailoauth/core/config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace mailoauth::core {

namespace {

const toml::table& as_table(const void* table) {
  return *static_cast<const toml::table*>(table);
}

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::none:
      return "nothing";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
  }
  return "an unknown type";
}

}  // namespace

struct ConfigDocument::Impl {
  std::string source_name;
  toml::table table;
};

ConfigDocument::ConfigDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConfigDocument::ConfigDocument(ConfigDocument&&) noexcept = default;
ConfigDocument& ConfigDocument::operator=(ConfigDocument&&) noexcept = default;
ConfigDocument::~ConfigDocument() = default;

Result<ConfigDocument> ConfigDocument::parse(std::string_view text, std::string source_name) {
  auto impl = std::make_unique<Impl>();
  impl->source_name = std::move(source_name);
  if (text.size() > kMaxSize) {
    return fail(ErrorClass::Config, "config.too_large",
                fmt::format("{}: {} bytes is larger than the {} bytes a configuration may have",
                            impl->source_name, text.size(), kMaxSize));
  }
  try {
    impl->table = toml::parse(text, impl->source_name);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    return fail(ErrorClass::Config, "config.syntax",
                fmt::format("{}:{}:{}: {}", impl->source_name, begin.line, begin.column,
                            error.description()),
                "fix the TOML syntax at that position (https://toml.io)");
  }
  return ConfigDocument(std::move(impl));
}

Result<ConfigDocument> ConfigDocument::load_file(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) {
    return fail(ErrorClass::Config, "config.unreadable",
                fmt::format("cannot read configuration {}: {}", path.string(), error.message()),
                "check the path, or name another configuration file");
  }
  if (size > kMaxSize) {
    return fail(ErrorClass::Config, "config.too_large",
                fmt::format("{}: {} bytes is larger than the {} bytes a configuration may have",
                            path.string(), size, kMaxSize));
  }
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    return fail(ErrorClass::Config, "config.unreadable",
                fmt::format("cannot open configuration {}", path.string()),
                "check the file's permissions");
  }
  std::ostringstream contents;
  contents << stream.rdbuf();
  return parse(contents.str(), path.string());
}

ConfigSection ConfigDocument::root() const {
  return ConfigSection(&impl_->table, std::string(), &impl_->source_name);
}

const std::string& ConfigDocument::source_name() const {
  return impl_->source_name;
}

std::string ConfigSection::key_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return fmt::format("{}.{}", path_, key);
}

std::string ConfigSection::location(std::string_view key) const {
  const auto& table = as_table(table_);
  const toml::node* node = key.empty() ? &table : table.get(key);
  if (node == nullptr) node = &table;
  const auto line = node->source().begin.line;
  if (line == 0) return *source_;
  return fmt::format("{}:{}", *source_, line);
}

std::vector<std::string> ConfigSection::keys() const {
  std::vector<std::string> result;
  for (const auto& [key, node] : as_table(table_)) result.emplace_back(key.str());
  return result;
}

bool ConfigSection::contains(std::string_view key) const {
  return as_table(table_).contains(key);
}

Error ConfigSection::type_error(std::string_view key, std::string_view expected) const {
  const toml::node* node = as_table(table_).get(key);
  return Error(ErrorClass::Config, "config.wrong_type",
               fmt::format("{}: {} must be {}, found {}", location(key), key_path(key), expected,
                           type_name(node ? node->type() : toml::node_type::none)));
}

Result<std::string> ConfigSection::required_string(std::string_view key) const {
  auto value = optional_string(key);
  if (!value) return fail(value.error());
  if (std::optional<std::string>& text = *value; text.has_value()) return std::move(*text);
  return fail(ErrorClass::Config, "config.missing_key",
              fmt::format("{}: {} is required but missing", location(), key_path(key)),
              fmt::format("add `{} = \"...\"` to {}", key,
                          path_.empty() ? std::string("the file") : "[" + path_ + "]"));
}

Result<std::optional<std::string>> ConfigSection::optional_string(std::string_view key) const {
  const toml::node* node = as_table(table_).get(key);
  if (node == nullptr) return std::optional<std::string>();
  if (const auto* value = node->as_string()) return std::optional<std::string>(value->get());
  return fail(type_error(key, "a string"));
}

Result<std::optional<std::int64_t>> ConfigSection::optional_integer(std::string_view key,
                                                                    std::int64_t minimum,
                                                                    std::int64_t maximum) const {
  const toml::node* node = as_table(table_).get(key);
  if (node == nullptr) return std::optional<std::int64_t>();
  const auto* value = node->as_integer();
  if (value == nullptr) return fail(type_error(key, "an integer"));
  const std::int64_t number = value->get();
  if (number < minimum || number > maximum) {
    return fail(ErrorClass::Config, "config.out_of_range",
                fmt::format("{}: {} is {}, outside the allowed range {}..{}", location(key),
                            key_path(key), number, minimum, maximum));
  }
  return std::optional<std::int64_t>(number);
}

Result<std::optional<bool>> ConfigSection::optional_bool(std::string_view key) const {
  const toml::node* node = as_table(table_).get(key);
  if (node == nullptr) return std::optional<bool>();
  if (const auto* value = node->as_boolean()) return std::optional<bool>(value->get());
  return fail(type_error(key, "true or false"));
}

Result<std::optional<std::vector<std::string>>> ConfigSection::optional_string_list(
    std::string_view key) const {
  const toml::node* node = as_table(table_).get(key);
  if (node == nullptr) return std::optional<std::vector<std::string>>();
  const auto* array = node->as_array();
  if (array == nullptr) return fail(type_error(key, "an array of strings"));
  std::vector<std::string> result;
  for (const auto& element : *array) {
    const auto* text = element.as_string();
    if (text == nullptr) {
      return fail(
          ErrorClass::Config, "config.wrong_type",
          fmt::format("{}:{}: every element of {} must be a string, found {}", *source_,
                      element.source().begin.line, key_path(key), type_name(element.type())));
    }
    result.push_back(text->get());
  }
  return std::optional<std::vector<std::string>>(std::move(result));
}

Result<std::optional<ConfigSection>> ConfigSection::optional_section(std::string_view key) const {
  const toml::node* node = as_table(table_).get(key);
  if (node == nullptr) return std::optional<ConfigSection>();
  const auto* table = node->as_table();
  if (table == nullptr) return fail(type_error(key, "a table"));
  return std::optional<ConfigSection>(ConfigSection(table, key_path(key), source_));
}

std::vector<std::pair<std::string, ConfigSection>> ConfigSection::sections() const {
  // toml::table is ordered by key; people expect the order they wrote.
  std::vector<std::pair<const toml::key*, const toml::table*>> found;
  for (const auto& [key, node] : as_table(table_)) {
    if (const auto* table = node.as_table()) found.emplace_back(&key, table);
  }
  std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    const auto& left = a.first->source().begin;
    const auto& right = b.first->source().begin;
    return left.line != right.line ? left.line < right.line : left.column < right.column;
  });
  std::vector<std::pair<std::string, ConfigSection>> result;
  result.reserve(found.size());
  for (const auto& [key, table] : found) {
    result.emplace_back(std::string(key->str()),
                        ConfigSection(table, key_path(key->str()), source_));
  }
  return result;
}

Result<void> ConfigSection::reject_unknown_keys(
    std::initializer_list<std::string_view> known) const {
  return reject_unknown_keys(std::span<const std::string_view>(known.begin(), known.size()));
}

Result<void> ConfigSection::reject_unknown_keys(std::span<const std::string_view> known) const {
  for (const auto& [key, node] : as_table(table_)) {
    const std::string_view name = key.str();
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string_view closest;
    std::size_t best = 3;  // suggest only near misses
    for (std::string_view candidate : known) {
      const std::size_t distance = edit_distance(name, candidate);
      if (distance < best) {
        best = distance;
        closest = candidate;
      }
    }
    const std::string where = path_.empty() ? std::string("the top level") : "[" + path_ + "]";
    std::string remedy = closest.empty()
                             ? fmt::format("remove it; known keys here: {}", fmt::join(known, ", "))
                             : fmt::format("did you mean '{}'?", closest);
    return fail(ErrorClass::Config, "config.unknown_key",
                fmt::format("{}: unknown key '{}' in {}", location(name), name, where),
                std::move(remedy));
  }
  return {};
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace mailoauth::core
