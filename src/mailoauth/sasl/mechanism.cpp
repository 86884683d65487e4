// Mechanism names and the shared field check.
#include "mailoauth/sasl/mechanism.hpp"

#include <array>
#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::sasl {

namespace {
constexpr std::array<std::pair<Mechanism, std::string_view>, 4> kNames = {{
    {Mechanism::XOAuth2, "XOAUTH2"},
    {Mechanism::OAuthBearer, "OAUTHBEARER"},
    {Mechanism::Plain, "PLAIN"},
    {Mechanism::Login, "LOGIN"},
}};

std::string_view describe_control(char c) {
  switch (c) {
    case '\0':
      return "a NUL byte";
    case '\x01':
      return "a 0x01 byte (the SASL field separator)";
    case '\r':
      return "a carriage return (CR)";
    case '\n':
      return "a line feed (LF)";
  }
  return "a control byte";
}
}  // namespace

std::string_view wire_name(Mechanism mechanism) {
  for (const auto& [candidate, name] : kNames) {
    if (candidate == mechanism) return name;
  }
  return "UNKNOWN";
}

std::optional<Mechanism> parse_mechanism(std::string_view name) {
  for (const auto& [mechanism, wire] : kNames) {
    if (core::iequals(name, wire)) return mechanism;
  }
  return std::nullopt;
}

bool is_bearer(Mechanism mechanism) {
  return mechanism == Mechanism::XOAuth2 || mechanism == Mechanism::OAuthBearer;
}

core::Result<void> check_field(std::string_view what, std::string_view value) {
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c != '\0' && c != '\x01' && c != '\r' && c != '\n') continue;
    const bool at_end = i + 1 == value.size() || (i + 2 == value.size() && value[i + 1] == '\n');
    std::string remedy =
        at_end && (c == '\r' || c == '\n')
            ? fmt::format(
                  "it ends with a line break: strip the trailing newline from where the "
                  "{} comes from (a file written by echo, a copied line)",
                  what)
            : fmt::format("check where the {} comes from; it must be a single line of text", what);
    return core::fail(core::ErrorClass::Config, "sasl.bad_field",
                      fmt::format("the {} contains {} at position {}, which SASL cannot carry",
                                  what, describe_control(c), i),
                      std::move(remedy));
  }
  return {};
}

}  // namespace mailoauth::sasl
