// Fuzz target for the parser of an upload session's answer (Graph's
// nextExpectedRanges, the Outlook service's NextExpectedRanges): never
// crash, never more ranges than the limit, every range ordered, and a
// resume offset always inside the attachment.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/graph/upload_ranges.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::graph;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto ranges = parse_next_expected_ranges(body);
  if (!ranges) return 0;
  if (ranges->size() > kMaxExpectedRanges) std::abort();
  for (const auto& range : *ranges) {
    if (range.last && *range.last < range.first) std::abort();
  }
  const std::uint64_t total = 15u << 20;
  auto offset = resume_offset(*ranges, total);
  if (offset && *offset >= total) std::abort();
  return 0;
}
