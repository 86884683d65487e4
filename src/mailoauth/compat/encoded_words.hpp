// RFC 2047 encoded words in header text (`=?UTF-8?B?...?=`, `=?iso-8859-1?Q?...?=`)
// decoded to UTF-8, for subjects and senders shown by the check plugins'
// sample and list-emails' reports (go-imap hands check-mail decoded subjects).
// Pure and small on purpose, so the tools need no GMime: charsets UTF-8,
// US-ASCII, ISO-8859-1 and Windows-1252 (Latin-1 with its 0x80..0x9F
// letters) are decoded; a word in any other charset, or malformed, is kept
// as it was sent. White space between two encoded words is dropped, as the
// RFC asks; invalid UTF-8 bytes become U+FFFD.
#pragma once

#include <string>
#include <string_view>

namespace mailoauth::compat {

std::string decode_encoded_words(std::string_view text);

}  // namespace mailoauth::compat
