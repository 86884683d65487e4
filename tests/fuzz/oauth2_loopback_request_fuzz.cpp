// Fuzz target for what a browser (or anything else on the machine) sends to
// the loopback sign-in listener: the request parser, then the redirect's
// query as code_from_redirect reads it. Parse or refuse, never crash; a
// decoded value never carries NUL, CR or LF; an error message never a line break.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/oauth2/authorization_code.hpp"
#include "mailoauth/oauth2/loopback_listener.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::oauth2;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto request = parse_loopback_request(bytes);
  if (request && *request && (*request)->find_first_of("\r\n") != std::string::npos) std::abort();
  const std::string_view target = request && *request ? std::string_view(**request) : bytes;
  auto query = parse_query(target);
  if (query) {
    for (const auto& [name, value] : *query) {
      if (name.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos ||
          value.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos) {
        std::abort();
      }
    }
  }
  auto code = code_from_redirect(target, "state", "https://issuer");
  if (!code && code.error().message().find('\n') != std::string::npos) std::abort();
  return 0;
}
