// Fuzz target for the address-list scanner that reads From, To, Cc and Bcc
// of whatever a program pipes into sendmail mode: never crash, and every
// address it returns is non-empty, shorter than the input, and free of the
// characters that end an element (',' ';' outside quotes cannot survive
// unquoted) or a line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/mime/address_list.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto addresses = mailoauth::mime::address_list_addresses(text);
  if (!addresses) return 0;
  for (const auto& address : *addresses) {
    if (address.empty() || address.size() > text.size()) std::abort();
    if (address.find_first_of("\r\n") != std::string_view::npos) std::abort();
  }
  return 0;
}
