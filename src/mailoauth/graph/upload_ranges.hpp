// The byte ranges of a Graph upload session (outlook-large-attachments,
// attachment-createuploadsession): each PUT to the upload URL carries one
// range, `Content-Range: bytes first-last/total`, at most 4 MB, in order;
// Microsoft recommends multiples of 320 KiB. The answer to every chunk but
// the last is 200 with `nextExpectedRanges` (Graph: "nextExpectedRanges":
// ["2097152-"]; the Outlook service writes "NextExpectedRanges":
// ["2097152"]), which says where to go on — after a lost answer or a
// refused chunk the server's word wins over our count.
//
// The planning is arithmetic; parse_next_expected_ranges is a parser of
// server JSON, so it has limits (answer size, number of ranges, digits) and
// a fuzz target (tests/fuzz/graph_upload_ranges_fuzz.cpp). No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::graph {

inline constexpr std::uint64_t kUploadChunkUnit = 320 * 1024;
inline constexpr std::uint64_t kMaxUploadChunk = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxUploadAnswer = 64 * 1024;
inline constexpr std::size_t kMaxExpectedRanges = 64;

// A chunk size Graph takes: `requested` rounded down to a multiple of
// 320 KiB, at least one unit, at most the largest multiple under 4 MB
// (12 units, 3,932,160 bytes).
std::uint64_t upload_chunk_size(std::uint64_t requested);

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive, as in Content-Range
  std::uint64_t size() const { return last - first + 1; }
};

// The chunk that starts at `offset` (< total): `chunk_size` bytes or what is left.
ByteRange chunk_at(std::uint64_t offset, std::uint64_t total, std::uint64_t chunk_size);

// "bytes 0-3932159/15728640"
std::string content_range(const ByteRange& range, std::uint64_t total);

struct ExpectedRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;  // absent: to the end
};

// The ranges of a 200 (or a 416) answer's nextExpectedRanges, in the order
// given. Refuses an answer larger than kMaxUploadAnswer, one that is not a
// JSON object, a missing or malformed list, more than kMaxExpectedRanges
// ranges, and a range that is not "N", "N-" or "N-M" with N <= M.
core::Result<std::vector<ExpectedRange>> parse_next_expected_ranges(std::string_view body);

// Where the next chunk starts: the lowest first byte the server expects.
// Refuses an empty list and an offset at or past `total`.
core::Result<std::uint64_t> resume_offset(const std::vector<ExpectedRange>& ranges,
                                          std::uint64_t total);

}  // namespace mailoauth::graph
