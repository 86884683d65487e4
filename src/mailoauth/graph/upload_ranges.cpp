// nlohmann's parser without exceptions (parse errors come back discarded);
// the key is matched ASCII case-insensitively, since Graph and the Outlook
// service spell it differently; each range is read with from_chars.
#include "mailoauth/graph/upload_ranges.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::graph {

namespace {

using core::ErrorClass;

core::Error bad_answer(std::string what) {
  return core::Error(ErrorClass::Temporary, "graph.bad_upload_answer",
                     "the upload session's answer is not what Graph sends: " + std::move(what),
                     "try again later; if it persists, report it with the request-id");
}

std::optional<std::uint64_t> number(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;  // < 10^19 fits 64 bits
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::uint64_t upload_chunk_size(std::uint64_t requested) {
  const std::uint64_t largest = (kMaxUploadChunk / kUploadChunkUnit) * kUploadChunkUnit;
  const std::uint64_t rounded = (requested / kUploadChunkUnit) * kUploadChunkUnit;
  return std::clamp(rounded, kUploadChunkUnit, largest);
}

ByteRange chunk_at(std::uint64_t offset, std::uint64_t total, std::uint64_t chunk_size) {
  const std::uint64_t size = std::min(chunk_size, total - offset);
  return ByteRange{offset, offset + size - 1};
}

std::string content_range(const ByteRange& range, std::uint64_t total) {
  return fmt::format("bytes {}-{}/{}", range.first, range.last, total);
}

core::Result<std::vector<ExpectedRange>> parse_next_expected_ranges(std::string_view body) {
  if (body.size() > kMaxUploadAnswer) {
    return core::fail(
        bad_answer(fmt::format("{} bytes, more than {}", body.size(), kMaxUploadAnswer)));
  }
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return core::fail(bad_answer("not a JSON object"));
  const nlohmann::json* list = nullptr;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (core::iequals(it.key(), "nextExpectedRanges")) list = &it.value();
  }
  if (list == nullptr || !list->is_array()) {
    return core::fail(bad_answer("no nextExpectedRanges list"));
  }
  if (list->size() > kMaxExpectedRanges) {
    return core::fail(
        bad_answer(fmt::format("{} ranges, more than {}", list->size(), kMaxExpectedRanges)));
  }
  std::vector<ExpectedRange> ranges;
  for (const auto& entry : *list) {
    if (!entry.is_string()) return core::fail(bad_answer("a range that is not a string"));
    const std::string& text = entry.get_ref<const std::string&>();
    const std::string_view view(text);
    const std::size_t dash = view.find('-');
    ExpectedRange range;
    const auto first = number(view.substr(0, dash));
    std::optional<std::uint64_t> last;
    bool valid = first.has_value();
    if (valid && dash != std::string_view::npos && dash + 1 < view.size()) {
      last = number(view.substr(dash + 1));
      valid = last.has_value() && *last >= *first;
    }
    if (!valid) {
      return core::fail(bad_answer(
          fmt::format("the range \"{}\"", core::escape_control_characters(view.substr(0, 64)))));
    }
    range.first = *first;
    range.last = last;
    ranges.push_back(range);
  }
  return ranges;
}

core::Result<std::uint64_t> resume_offset(const std::vector<ExpectedRange>& ranges,
                                          std::uint64_t total) {
  if (ranges.empty()) return core::fail(bad_answer("nextExpectedRanges is empty"));
  const std::uint64_t offset = std::ranges::min(ranges, {}, &ExpectedRange::first).first;
  if (offset >= total) {
    return core::fail(
        bad_answer(fmt::format("it expects byte {} of an attachment of {} bytes", offset, total)));
  }
  return offset;
}

}  // namespace mailoauth::graph
