// EHLO lines split on spaces and tabs into a keyword and parameters. A
// keyword with '=' is the old AUTH=MECH form: what follows '=' is its first
// parameter. Look-ups walk the list: a server offers a dozen extensions, a
// map would cost more than it saves.
#include "mailoauth/smtp/ehlo_capabilities.hpp"

#include <algorithm>
#include <charconv>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::smtp {

namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t position = 0;
  while (position < line.size()) {
    const std::size_t start = line.find_first_not_of(" \t", position);
    if (start == std::string_view::npos) break;
    const std::size_t end = std::min(line.find_first_of(" \t", start), line.size());
    out.push_back(line.substr(start, end - start));
    position = end;
  }
  return out;
}

}  // namespace

EhloCapabilities parse_ehlo_capabilities(std::span<const std::string> lines) {
  EhloCapabilities capabilities;
  if (lines.empty()) return capabilities;
  capabilities.greeting = lines.front();
  for (const auto& line : lines.subspan(1)) {
    const std::vector<std::string_view> tokens = words(line);
    if (tokens.empty()) continue;
    EhloExtension extension;
    std::string_view keyword = tokens.front();
    if (const std::size_t equals = keyword.find('='); equals != std::string_view::npos) {
      if (equals + 1 < keyword.size())
        extension.parameters.emplace_back(keyword.substr(equals + 1));
      keyword = keyword.substr(0, equals);
    }
    extension.keyword = upper(keyword);
    for (const auto& parameter : std::span(tokens).subspan(1)) {
      extension.parameters.emplace_back(parameter);
    }
    capabilities.extensions.push_back(std::move(extension));
  }
  return capabilities;
}

bool EhloCapabilities::has(std::string_view keyword) const {
  return std::any_of(extensions.begin(), extensions.end(), [&](const EhloExtension& extension) {
    return core::iequals(extension.keyword, keyword);
  });
}

std::span<const std::string> EhloCapabilities::parameters(std::string_view keyword) const {
  for (const auto& extension : extensions) {
    if (core::iequals(extension.keyword, keyword)) return extension.parameters;
  }
  return {};
}

std::vector<std::string> EhloCapabilities::auth_mechanisms() const {
  std::vector<std::string> mechanisms;
  for (const auto& extension : extensions) {
    if (extension.keyword != "AUTH") continue;
    for (const auto& parameter : extension.parameters) {
      std::string name = upper(parameter);
      if (std::find(mechanisms.begin(), mechanisms.end(), name) == mechanisms.end()) {
        mechanisms.push_back(std::move(name));
      }
    }
  }
  return mechanisms;
}

std::optional<std::uint64_t> EhloCapabilities::size_limit() const {
  const auto size = parameters("SIZE");
  if (size.empty()) return std::nullopt;
  const std::string& text = size.front();
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

}  // namespace mailoauth::smtp
