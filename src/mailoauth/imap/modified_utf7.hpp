// Mailbox names in IMAP4rev1's modified UTF-7 (RFC 3501 section 5.1.3):
// printable ASCII stands for itself, '&' is written "&-", and everything else
// is UTF-16 in base64 with ',' for '/' between '&' and '-'. Servers send names
// this way in LIST and STATUS, and expect them so in SELECT, EXAMINE, STATUS
// and APPEND. Decoding is strict, as the RFC asks: an unterminated shift, a
// character outside the alphabet, non-zero or surplus padding bits, an encoded
// printable ASCII character or a broken surrogate pair is an error, because two
// spellings of one name would make "Junk" and a look-alike the same folder.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::imap {

// UTF-8 to modified UTF-7; invalid UTF-8 (or NUL) is refused.
core::Result<std::string> encode_modified_utf7(std::string_view utf8);

// Modified UTF-7 to UTF-8.
core::Result<std::string> decode_modified_utf7(std::string_view utf7);

}  // namespace mailoauth::imap
