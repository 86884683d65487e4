// Fuzz target for the MIME tree scanner and what Graph's large-message path
// builds on it: parse with small limits, every range inside the message and
// in order, then split for a small draft and decode every taken part (the
// draft never larger than allowed, decoded sizes as announced); header
// parameters and transfer decoding see hostile bytes too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mailoauth/graph/draft_split.hpp"
#include "mailoauth/mime/header_parameters.hpp"
#include "mailoauth/mime/mime_structure.hpp"
#include "mailoauth/mime/transfer_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth;
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  (void)mime::parse_parameterized(message.substr(0, 512)).parameter("filename");
  mime::StructureLimits limits;
  limits.max_entities = 64;
  limits.max_depth = 8;
  limits.max_header = 4096;
  auto parsed = mime::parse_mime_structure(message, limits);
  if (!parsed) return 0;
  for (const auto& entity : parsed->entities) {
    if (entity.part_begin > entity.begin || entity.begin > entity.body_begin ||
        entity.body_begin > entity.end || entity.end > message.size()) {
      std::abort();
    }
  }
  graph::DraftLimits draft_limits;
  draft_limits.structure = limits;
  draft_limits.max_draft_size = size / 2;
  auto split = graph::split_for_draft(message, draft_limits);
  if (!split) return 0;
  if (split->draft.size() > draft_limits.max_draft_size) std::abort();
  for (const auto& taken : split->attachments) {
    mime::TransferDecoder decoder(taken.encoded, taken.transfer_encoding);
    std::string out;
    while (decoder.read(out, 7) > 0) {
    }
    if (out.size() != taken.size) std::abort();
  }
  return 0;
}
