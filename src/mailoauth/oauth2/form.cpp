// Form encoding: unreserved characters (ALPHA DIGIT - . _ ~) pass, space
// becomes '+', every other byte becomes %XX. Intermediate strings holding
// secrets are wiped.
#include "mailoauth/oauth2/form.hpp"

#include <cctype>

namespace mailoauth::oauth2 {

std::string form_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
  return out;
}

core::Secret form_encode(const std::vector<FormField>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body.push_back('&');
    body += form_escape(name);
    body.push_back('=');
    std::string escaped = form_escape(value);
    body += escaped;
    core::secure_wipe(escaped.data(), escaped.size());
  }
  return core::Secret::take(std::move(body));
}

core::Secret form_encode(std::initializer_list<FormField> fields) {
  return form_encode(std::vector<FormField>(fields));
}

}  // namespace mailoauth::oauth2
