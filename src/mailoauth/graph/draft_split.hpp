// Which parts of a message too large for one Graph request are taken out of
// it, and the draft that remains. Graph's large-message path creates a
// draft from MIME (one request, ~4 MB of base64 at most), then adds the
// attachments one by one; so the draft is the message with attachment parts
// cut out, the largest first, until it fits `max_draft_size`. The rest of
// the message — header, text and HTML bodies, the attachments that fit — is
// kept byte for byte. A multipart that would lose every part keeps an empty
// text/plain part instead, so the draft stays valid MIME.
//
// A part can be taken out when it is a leaf below the top level and looks
// like an attachment: Content-Disposition attachment, or a file name, or a
// Content-ID on a part that is not text (an inline image of an HTML body);
// the taken parts keep what Graph's fileAttachment needs (name, type,
// isInline, contentId) and where their encoded bytes are in the source, so
// they are decoded from it chunk by chunk while uploaded. Pure, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/mime/mime_structure.hpp"

namespace mailoauth::graph {

struct TakenAttachment {
  std::string name;          // the file name; "attachment-N" when the part has none
  std::string content_type;  // "application/pdf"
  std::string content_id;    // without angle brackets; empty when none
  bool is_inline = false;
  std::string_view encoded;       // the part's body in the source message
  std::string transfer_encoding;  // of `encoded`, lower case
  std::uint64_t size = 0;         // decoded
};

struct DraftSplit {
  std::string draft;                         // the message without the taken parts
  std::vector<TakenAttachment> attachments;  // in message order
};

struct DraftLimits {
  std::size_t max_draft_size = 3 * 1024 * 1024;  // of the draft's MIME, before base64
  mime::StructureLimits structure;
};

// Refuses (Permanent, graph.draft_too_large) a message that cannot be brought
// under `max_draft_size` by taking attachments out: its bodies alone are too
// large, or it is a single part.
core::Result<DraftSplit> split_for_draft(std::string_view message, const DraftLimits& limits);

}  // namespace mailoauth::graph
