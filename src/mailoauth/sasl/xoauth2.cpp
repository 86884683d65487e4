// XOAUTH2 build and parse. The parser walks 0x01-separated key=value fields and
// must see the empty field that ends the message; it copies the token straight
// into a Secret.
#include "mailoauth/sasl/xoauth2.hpp"

#include <fmt/format.h>

#include "mailoauth/sasl/bearer_token.hpp"

namespace mailoauth::sasl {

core::Result<core::Secret> xoauth2_initial_response(std::string_view user,
                                                    const core::Secret& token) {
  if (auto checked = check_field("user name", user); !checked) return core::fail(checked.error());
  if (auto checked = check_field("access token", token.reveal()); !checked) {
    return core::fail(checked.error());
  }
  if (user.empty()) {
    return core::fail(core::ErrorClass::Config, "sasl.empty_user",
                      "XOAUTH2 needs a user name (the mailbox address) and none was given",
                      "set the mailbox the token is for");
  }
  if (token.empty()) {
    return core::fail(core::ErrorClass::Config, "sasl.empty_token",
                      "XOAUTH2 needs an access token and it is empty");
  }
  std::string response;
  response.reserve(5 + user.size() + 13 + token.size() + 2);
  response.append("user=").append(user).append(
      "\x01"
      "auth=Bearer ");
  response.append(token.reveal()).append("\x01\x01");
  return core::Secret::take(std::move(response));
}

core::Result<XOAuth2Credentials> parse_xoauth2_response(std::string_view response,
                                                        std::size_t max_size) {
  const auto refuse = [](std::string why) {
    return core::fail(core::ErrorClass::Permanent, "sasl.bad_xoauth2",
                      "malformed XOAUTH2 response: " + std::move(why));
  };
  if (response.size() > max_size) {
    return refuse(fmt::format("{} bytes, more than the {} allowed", response.size(), max_size));
  }
  std::optional<std::string_view> user;
  std::optional<std::string_view> auth;
  std::size_t position = 0;
  while (true) {
    const std::size_t end = response.find('\x01', position);
    if (end == std::string_view::npos) return refuse("it does not end with 0x01 0x01");
    const std::string_view field = response.substr(position, end - position);
    position = end + 1;
    if (field.empty()) break;  // the terminating empty field
    const std::size_t equals = field.find('=');
    if (equals == std::string_view::npos) return refuse("a field without '='");
    const std::string_view key = field.substr(0, equals);
    const std::string_view value = field.substr(equals + 1);
    std::optional<std::string_view>* slot = key == "user" ? &user : key == "auth" ? &auth : nullptr;
    if (slot == nullptr) continue;  // unknown fields are allowed and ignored
    if (slot->has_value()) return refuse(fmt::format("\"{}\" appears twice", key));
    *slot = value;
  }
  if (position != response.size()) return refuse("bytes after the terminating 0x01 0x01");
  if (!user || user->empty()) return refuse("no user");
  if (!auth) return refuse("no auth field");
  auto token = parse_bearer_authorization(*auth);
  if (!token) return refuse(token.error().message());
  for (char c : *user) {
    if (c == '\0' || c == '\r' || c == '\n') return refuse("control characters in the user");
  }
  return XOAuth2Credentials{std::string(*user), std::move(*token)};
}

}  // namespace mailoauth::sasl
