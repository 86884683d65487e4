// The header block of a ready-made RFC 5322 message, read and changed as
// text, so a message handed to `mailoauth send --raw` or sendmail mode goes
// out byte for byte as it came, except for what the transport requires: a
// Date and a Message-ID when the message has none (RFC 5322 requires Date;
// Exchange and Gmail score mail without Message-ID as spam), and no Bcc
// header when recipients are taken from the headers (sendmail -t), folded
// continuation lines included. The message's own line ending (CRLF or a
// cron job's bare LF) is kept for inserted lines; SMTP's CRLF and
// dot-stuffing are the transport's business. Pure functions with a size
// limit; a fuzz target feeds them hostile input.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::mime {

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded (CRLF/LF + WSP turned into the WSP), without the final line end
  std::size_t begin = 0;  // byte offsets of the whole field in the message, line end included
  std::size_t end = 0;
};

struct HeaderBlock {
  std::vector<HeaderField> fields;
  std::size_t body_offset = 0;  // first byte after the empty line (or the end: no body)
  std::string line_end;         // "\r\n" or "\n", as the first header line ends

  // The first field named `name` (ASCII case-insensitive), if any.
  const HeaderField* find(std::string_view name) const;
  std::vector<const HeaderField*> find_all(std::string_view name) const;
};

inline constexpr std::size_t kMaxHeaderBlock = 1024 * 1024;

// Refuses: no header at all, a line that is not a field or a continuation,
// NUL in the header, a header block larger than `limit`.
core::Result<HeaderBlock> parse_header_block(std::string_view message,
                                             std::size_t limit = kMaxHeaderBlock);

// `message` with the fields named `name` removed (all of them, folded lines too).
std::string remove_fields(std::string_view message, const HeaderBlock& block,
                          std::string_view name);

// `message` with `lines` ("Date: ...") inserted before the first field, each
// ended with the block's line end.
std::string prepend_fields(std::string_view message, const HeaderBlock& block,
                           const std::vector<std::string>& lines);

}  // namespace mailoauth::mime
