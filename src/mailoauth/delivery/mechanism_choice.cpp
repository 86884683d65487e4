// SASL mechanism choice; see mechanism_choice.hpp.
#include "mailoauth/delivery/mechanism_choice.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::delivery {

core::Result<std::vector<sasl::Mechanism>> choose_mechanisms(std::string_view requested,
                                                             const oauth2::Account* account) {
  std::vector<std::string> names;
  if (!requested.empty()) {
    names = {std::string(requested)};
  } else if (account != nullptr && !account->auth_mechanisms.empty()) {
    names = account->auth_mechanisms;
  } else if (account == nullptr) {
    names = {"PLAIN", "LOGIN"};
  } else {
    names = {"XOAUTH2", "OAUTHBEARER"};
  }
  std::vector<sasl::Mechanism> mechanisms;
  for (const std::string& name : names) {
    auto mechanism = sasl::parse_mechanism(name);
    if (!mechanism) {
      return core::fail(
          core::ErrorClass::Config, "delivery.bad_mechanism",
          fmt::format("unknown SASL mechanism \"{}\"", core::escape_control_characters(name)),
          "use xoauth2, oauthbearer, plain or login");
    }
    mechanisms.push_back(*mechanism);
  }
  return mechanisms;
}

bool needs_password(const std::vector<sasl::Mechanism>& mechanisms) {
  return std::any_of(mechanisms.begin(), mechanisms.end(),
                     [](sasl::Mechanism mechanism) { return !sasl::is_bearer(mechanism); });
}

}  // namespace mailoauth::delivery
