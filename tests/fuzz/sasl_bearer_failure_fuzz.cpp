// Fuzz target for the failure-challenge parser, which reads JSON sent by the
// server (hostile input from the client's point of view): parse or refuse,
// never crash; an accepted challenge must rebuild to JSON that parses again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/sasl/bearer_failure.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::sasl;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto failure = parse_bearer_failure(input);
  if (!failure) return 0;
  (void)describe(*failure);
  if (!parse_bearer_failure(oauthbearer_failure_challenge(*failure))) std::abort();
  if (!parse_bearer_failure(xoauth2_failure_challenge(*failure))) std::abort();
  return 0;
}
