// The addresses of an RFC 5322 address list, without GMime: what a
// ready-made message's From, To, Cc and Bcc say, for its envelope. Display
// names are skipped, not decoded (the envelope has none), so this needs no
// charset tables and lives in the main library: `mailoauth send --raw` and
// sendmail mode then never load GMime, glib and their dozen libraries, which
// cost 2.5 ms of CPU per start (bench/results/send.md). The grammar:
// `Name <a@b>`, `a@b`, `"Quoted, Name" <a@b>`, comments `(...)` (nested),
// groups `Team: a@b, c@d;` (flattened; `undisclosed-recipients:;` is empty),
// an obsolete route `<@relay:a@b>` dropped, empty list elements skipped.
// A parser: no I/O, a size limit, a fuzz target (mime_address_list).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::mime {

inline constexpr std::size_t kMaxAddressListSize = 64 * 1024;

// The addr-specs, in order. Errors (Config, `mime.bad_address_list`): an
// unterminated quoted string, comment or angle address, a control
// character (CR, LF, NUL, ...), more than kMaxAddressListSize bytes. Whether
// each address is well-formed is the caller's check.
core::Result<std::vector<std::string>> address_list_addresses(std::string_view text);

}  // namespace mailoauth::mime
