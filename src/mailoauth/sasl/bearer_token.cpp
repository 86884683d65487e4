// Bearer authorization value parsing: "Bearer" SP b64token, where
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
#include "mailoauth/sasl/bearer_token.hpp"

#include <cctype>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::sasl {

namespace {
bool is_token_character(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}
}  // namespace

core::Result<core::Secret> parse_bearer_authorization(std::string_view value) {
  const auto refuse = [](const char* why) {
    return core::fail(core::ErrorClass::Permanent, "sasl.bad_bearer", why);
  };
  constexpr std::string_view kScheme = "bearer ";
  if (!core::istarts_with(value, kScheme)) {
    return refuse("the auth value is not \"Bearer <token>\"");
  }
  const std::string_view token = value.substr(kScheme.size());
  std::size_t i = 0;
  while (i < token.size() && is_token_character(static_cast<unsigned char>(token[i]))) ++i;
  if (i == 0) return refuse("the bearer token is empty");
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return refuse("the bearer token contains characters a token cannot have");
  return core::Secret(token);
}

}  // namespace mailoauth::sasl
