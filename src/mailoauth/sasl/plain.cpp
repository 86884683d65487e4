// PLAIN build and parse: exactly two NULs, a non-empty authcid and password.
#include "mailoauth/sasl/plain.hpp"

#include <fmt/format.h>

namespace mailoauth::sasl {

core::Result<core::Secret> plain_initial_response(std::string_view authzid,
                                                  std::string_view authcid,
                                                  const core::Secret& password) {
  if (auto checked = check_field("authorization identity", authzid); !checked) {
    return core::fail(checked.error());
  }
  if (auto checked = check_field("user name", authcid); !checked) {
    return core::fail(checked.error());
  }
  if (password.reveal().find('\0') != std::string_view::npos) {
    return core::fail(core::ErrorClass::Config, "sasl.bad_field",
                      "the password contains a NUL byte, which PLAIN cannot carry");
  }
  if (authcid.empty()) {
    return core::fail(core::ErrorClass::Config, "sasl.empty_user", "PLAIN needs a user name");
  }
  std::string response;
  response.reserve(authzid.size() + authcid.size() + password.size() + 2);
  response.append(authzid).push_back('\0');
  response.append(authcid).push_back('\0');
  response.append(password.reveal());
  return core::Secret::take(std::move(response));
}

core::Result<PlainCredentials> parse_plain_response(std::string_view response,
                                                    std::size_t max_size) {
  const auto refuse = [](std::string why) {
    return core::fail(core::ErrorClass::Permanent, "sasl.bad_plain",
                      "malformed PLAIN response: " + std::move(why));
  };
  if (response.size() > max_size) {
    return refuse(fmt::format("{} bytes, more than the {} allowed", response.size(), max_size));
  }
  const std::size_t first = response.find('\0');
  if (first == std::string_view::npos) return refuse("no NUL separator");
  const std::size_t second = response.find('\0', first + 1);
  if (second == std::string_view::npos) return refuse("only one NUL separator");
  if (response.find('\0', second + 1) != std::string_view::npos) {
    return refuse("more than two NUL separators");
  }
  PlainCredentials credentials;
  credentials.authzid = std::string(response.substr(0, first));
  credentials.authcid = std::string(response.substr(first + 1, second - first - 1));
  if (credentials.authcid.empty()) return refuse("the user name is empty");
  const std::string_view password = response.substr(second + 1);
  if (password.empty()) return refuse("the password is empty");
  credentials.password = core::Secret(password);
  return credentials;
}

}  // namespace mailoauth::sasl
