// The header block of a ready-made RFC 5322 message, read and changed as
// text, so a message handed to `mailoauth send --raw` or sendmail mode goes
// out byte for byte as it came, except for what the transport requires: a
// Date and a Message-ID when the message has none (RFC 5322 requires Date;
// Exchange and Gmail score mail without Message-ID as spam), and no Bcc
// header when recipients are taken from the headers (sendmail -t), folded
// continuation lines included. The message's own line ending (CRLF or a
// cron job's bare LF) is kept for inserted lines; SMTP's CRLF and
// dot-stuffing are the transport's business. For Microsoft Graph, which
// takes recipients from the header and has no envelope, write_envelope_bcc
// writes the Bcc field that carries the envelope's other recipients. Pure
// functions with a size limit; a fuzz target feeds them hostile input.
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

// The addresses an address-list field names ("Jane <j@x>, k@y (K),
// Team: a@b;"): display names, comments and group names skipped, a route
// before the address dropped, quoted local parts kept as written. A scanner,
// not a validator: it only has to agree with a mail server on whom a header
// names. Encoded words (RFC 2047) occur only in names, so they need no decoding.
std::vector<std::string> addresses_in(std::string_view value);

// For a transport that takes the recipients from the header, not from an
// envelope: Microsoft Graph's sendMail with MIME delivers to the To, Cc and
// Bcc fields and to nobody else, and removes Bcc from what recipients see.
// The message gets one Bcc field naming the envelope recipients that no To
// or Cc field names (any Bcc it had is replaced, so no one outside the
// envelope is added); the rest of the message is kept byte for byte. When
// nothing is missing and there was no Bcc, the message is returned as it was.
struct EnvelopeBcc {
  std::string message;
  std::vector<std::string> bcc;  // the addresses in the Bcc field written
  std::vector<std::string>
      header_only;  // in To/Cc but not in the envelope: Graph sends to them too
};
core::Result<EnvelopeBcc> write_envelope_bcc(std::string_view message,
                                             const std::vector<std::string>& envelope,
                                             std::size_t limit = kMaxHeaderBlock);

}  // namespace mailoauth::mime
