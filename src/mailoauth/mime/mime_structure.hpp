// The MIME tree of a message (RFC 2046) as byte ranges into the message
// itself, so a caller can cut parts out of the text or read one part's body
// without copying the rest. Microsoft Graph's large-message path needs
// exactly that: the draft is the message with its big attachments cut out,
// and each attachment's bytes are decoded from the source, chunk by chunk,
// while they are uploaded — a 20 MB message is never held twice.
//
// It is a scanner, not a validator: multipart bodies are split at their
// delimiter lines (`--boundary` at the start of a line, `--boundary--` to
// close), a missing close delimiter ends the part at its parent's end (as
// GMime and mail clients do), a part whose header cannot be read and a
// multipart without a boundary are leaves, message/rfc822 parts are leaves. Pure, no I/O,
// with explicit limits (entities, nesting depth, header size); a fuzz target
// feeds it hostile input (tests/fuzz/mime_structure_fuzz.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::mime {

struct StructureLimits {
  std::size_t max_entities = 1000;
  std::size_t max_depth = 32;
  std::size_t max_header = 256 * 1024;  // of one entity's header block
};

struct Entity {
  // Byte offsets into the message. For a part of a multipart, `part_begin`
  // is where its delimiter line ("--boundary") starts; cutting
  // [part_begin, next part's part_begin) removes the part cleanly. For the
  // message itself part_begin == begin == 0.
  std::size_t part_begin = 0;
  std::size_t begin = 0;       // its header's first byte
  std::size_t body_begin = 0;  // its body's first byte
  std::size_t end = 0;  // one past its body's last byte (the line end before a delimiter excluded)
  std::string content_type;       // lower case "type/subtype"; "text/plain" when absent
  std::string boundary;           // multipart only
  std::string disposition;        // lower case "attachment", "inline" or empty
  std::string file_name;          // Content-Disposition filename, else Content-Type name; UTF-8
  std::string content_id;         // without the angle brackets
  std::string transfer_encoding;  // lower case; empty means 7bit
  std::optional<std::size_t> parent;
  std::vector<std::size_t> children;  // indices into MimeStructure::entities
  std::size_t depth = 0;              // the message is 0

  bool multipart() const { return content_type.starts_with("multipart/"); }
};

struct MimeStructure {
  std::vector<Entity> entities;  // [0] is the message; parents before children
  std::string line_end;          // "\r\n" or "\n", as the message's header lines end
};

// Refuses: no header (parse_header_block's reasons), more entities or deeper
// nesting than the limits allow.
core::Result<MimeStructure> parse_mime_structure(std::string_view message,
                                                 const StructureLimits& limits = {});

}  // namespace mailoauth::mime
