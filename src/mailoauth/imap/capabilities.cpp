// Capability lists from either place a server puts them. The list must hold
// atoms only; anything else means the response was not what it claimed.
#include "mailoauth/imap/capabilities.hpp"

#include <algorithm>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::imap {

bool Capabilities::has(std::string_view name) const {
  return std::any_of(names.begin(), names.end(),
                     [name](const std::string& entry) { return core::iequals(entry, name); });
}

std::vector<std::string> Capabilities::auth_mechanisms() const {
  std::vector<std::string> mechanisms;
  for (const auto& entry : names) {
    if (entry.size() > 5 && core::istarts_with(entry, "AUTH=")) {
      std::string mechanism = ascii_upper(std::string_view(entry).substr(5));
      if (std::find(mechanisms.begin(), mechanisms.end(), mechanism) == mechanisms.end()) {
        mechanisms.push_back(std::move(mechanism));
      }
    }
  }
  return mechanisms;
}

bool Capabilities::offers_mechanism(std::string_view mechanism) const {
  const auto mechanisms = auth_mechanisms();
  return std::any_of(mechanisms.begin(), mechanisms.end(), [mechanism](const std::string& entry) {
    return core::iequals(entry, mechanism);
  });
}

std::vector<std::string> Capabilities::sorted() const {
  std::vector<std::string> result = names;
  std::sort(result.begin(), result.end());
  result.erase(std::unique(result.begin(), result.end()), result.end());
  return result;
}

core::Result<Capabilities> capabilities_from(const Response& response) {
  const std::vector<Value>* values = nullptr;
  if (response.is_data("CAPABILITY")) {
    values = &response.values;
  } else if (response.is_status() && response.code && response.code->name == "CAPABILITY") {
    values = &response.code->arguments;
  } else {
    return core::fail(core::ErrorClass::Permanent, "imap.no_capabilities",
                      "the IMAP response carries no capability list");
  }
  Capabilities capabilities;
  for (const auto& value : *values) {
    if (value.kind != Value::Kind::Atom && value.kind != Value::Kind::Number) {
      return core::fail(core::ErrorClass::Permanent, "imap.bad_capabilities",
                        "the IMAP server's capability list holds " + to_display(value) +
                            ", which is not a capability name");
    }
    capabilities.names.push_back(value.text);
  }
  return capabilities;
}

}  // namespace mailoauth::imap
