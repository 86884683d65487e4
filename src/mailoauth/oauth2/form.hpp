// application/x-www-form-urlencoded bodies for token requests (RFC 6749
// appendix B: UTF-8, then percent-encoding with '+' for space). The result is a
// Secret because token requests carry client secrets, refresh tokens and codes.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

using FormField = std::pair<std::string_view, std::string_view>;

core::Secret form_encode(std::initializer_list<FormField> fields);
core::Secret form_encode(const std::vector<FormField>& fields);

// One value, percent-encoded as in a form (exposed for tests and for query strings).
std::string form_escape(std::string_view value);

}  // namespace mailoauth::oauth2
