// Fuzz target for `mailoauth explain`'s matching, which takes whatever a user
// pastes: explain() must never crash, never answer with an unescaped control
// character in what it shows, stay within its candidate limit, name only
// existing entries, and give the same answer twice (it is a pure function).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/catalogue/explain.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::catalogue;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Explanation first = explain(input);
  for (char c : first.shown_input) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) std::abort();
  }
  if (first.shown_input.size() > 4 * kShownInputBytes + 3) std::abort();
  if (first.candidates.size() > kMaxCandidates) std::abort();
  for (const auto& candidate : first.candidates) {
    if (candidate.entry >= entries().size()) std::abort();
  }
  for (char c : first.unknown_code) {
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  }
  const Explanation again = explain(input);
  if (again.candidates.size() != first.candidates.size()) std::abort();
  for (std::size_t i = 0; i < first.candidates.size(); ++i) {
    if (again.candidates[i].entry != first.candidates[i].entry) std::abort();
  }
  return 0;
}
