// One "* n FETCH (...)" response (RFC 3501 section 7.4.2) as its items: a map
// from the item's name, upper case as sent ("UID", "FLAGS", "ENVELOPE",
// "BODY[HEADER.FIELDS (SUBJECT FROM)]", "BODY[]<0>"), to its value in the
// generic tree. The items a monitoring check relies on are checked for their
// shape here, once, so that a UID too large for 64 bits or a size that is not
// a number is an error at the door and not a surprise in a report. Reading an
// ENVELOPE's fields and decoding header text are left to their own files.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

struct FetchData {
  std::uint64_t sequence_number = 0;
  std::map<std::string, Value, std::less<>> items;  // name (upper case) -> value

  // The item named so (ASCII case ignored), or nullptr.
  const Value* find(std::string_view name) const;
  std::optional<std::uint64_t> uid() const;
  std::optional<std::uint64_t> rfc822_size() const;
  std::optional<std::vector<std::string>> flags() const;
  std::optional<std::string> internal_date() const;  // "17-Jul-1996 02:44:25 -0700"
  const Value* envelope() const { return find("ENVELOPE"); }
};

// From "* 12 FETCH (UID 42 FLAGS (\Seen) RFC822.SIZE 4286 BODY[HEADER] {342}...)".
core::Result<FetchData> parse_fetch(const Response& response);

}  // namespace mailoauth::imap
