// The candidates are sorted by their encoded size, largest first, and taken
// until the draft fits; the draft is then written in one pass, copying the
// text between the cut spans. A cut span runs from the part's delimiter
// line to the next delimiter line, so the line end before the part (which
// belongs to its delimiter) now serves the next one.
#include "mailoauth/graph/draft_split.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/mime/transfer_decoder.hpp"

namespace mailoauth::graph {

namespace {

using core::ErrorClass;

bool looks_like_attachment(const mime::Entity& entity) {
  if (entity.multipart()) return false;
  if (entity.disposition == "attachment" || !entity.file_name.empty()) return true;
  return !entity.content_id.empty() && !entity.content_type.starts_with("text/");
}

struct Cut {
  std::size_t entity = 0;
  std::size_t begin = 0;  // the part's delimiter line
  std::size_t end = 0;    // the next delimiter line (or the parent's end)
  std::string replacement;
};

std::size_t span_end(std::string_view message, const mime::Entity& entity) {
  std::size_t end = entity.end;
  if (end < message.size() && message[end] == '\r' && end + 1 < message.size() &&
      message[end + 1] == '\n') {
    return end + 2;
  }
  if (end < message.size() && message[end] == '\n') return end + 1;
  return end;
}

}  // namespace

core::Result<DraftSplit> split_for_draft(std::string_view message, const DraftLimits& limits) {
  auto parsed = mime::parse_mime_structure(message, limits.structure);
  if (!parsed) return core::fail(parsed.error());
  const auto& entities = parsed->entities;
  std::vector<Cut> candidates;
  for (std::size_t i = 1; i < entities.size(); ++i) {
    if (!looks_like_attachment(entities[i])) continue;
    candidates.push_back({i, entities[i].part_begin, span_end(message, entities[i]), {}});
  }
  std::ranges::stable_sort(
      candidates, [](const Cut& a, const Cut& b) { return a.end - a.begin > b.end - b.begin; });
  std::size_t size = message.size();
  std::vector<Cut> cuts;
  for (auto& candidate : candidates) {
    if (size <= limits.max_draft_size) break;
    size -= candidate.end - candidate.begin;
    cuts.push_back(std::move(candidate));
  }
  std::ranges::sort(cuts, {}, &Cut::begin);
  // A multipart left without parts keeps an empty text part.
  const std::string& line_end = parsed->line_end;
  for (std::size_t i = 0; i < entities.size(); ++i) {
    if (!entities[i].multipart() || entities[i].children.empty()) continue;
    const bool all_cut = std::ranges::all_of(entities[i].children, [&](std::size_t child) {
      return std::ranges::any_of(cuts, [child](const Cut& cut) { return cut.entity == child; });
    });
    if (!all_cut) continue;
    auto first = std::ranges::find(cuts, entities[i].children.front(), &Cut::entity);
    first->replacement = fmt::format("--{}{}Content-Type: text/plain; charset=us-ascii{}{}{}",
                                     entities[i].boundary, line_end, line_end, line_end, line_end);
    size += first->replacement.size();
  }
  if (size > limits.max_draft_size) {
    return core::fail(
        ErrorClass::Permanent, "graph.draft_too_large",
        fmt::format("without its attachments the message is still {} KB: more than the {} KB a "
                    "Graph draft takes in one request",
                    size / 1024, limits.max_draft_size / 1024),
        "send it by SMTP, or move the large text into an attachment");
  }
  DraftSplit split;
  split.draft.reserve(size);
  std::size_t copied = 0;
  for (const Cut& cut : cuts) {
    split.draft.append(message.substr(copied, cut.begin - copied));
    split.draft.append(cut.replacement);
    copied = cut.end;
    const mime::Entity& entity = entities[cut.entity];
    TakenAttachment taken;
    taken.name = entity.file_name.empty()
                     ? fmt::format("attachment-{}", split.attachments.size() + 1)
                     : entity.file_name;
    taken.content_type = entity.content_type;
    taken.content_id = entity.content_id;
    taken.is_inline = entity.disposition == "inline" ||
                      (entity.disposition.empty() && !entity.content_id.empty());
    taken.encoded = message.substr(entity.body_begin, entity.end - entity.body_begin);
    taken.transfer_encoding = entity.transfer_encoding;
    taken.size = mime::decoded_size(taken.encoded, taken.transfer_encoding);
    split.attachments.push_back(std::move(taken));
  }
  split.draft.append(message.substr(copied));
  return split;
}

}  // namespace mailoauth::graph
