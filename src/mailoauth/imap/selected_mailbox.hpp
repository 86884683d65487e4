// What a server tells about a mailbox when it is opened with SELECT or
// EXAMINE (RFC 3501 section 6.3.1, RFC 4551 HIGHESTMODSEQ): the untagged
// EXISTS/RECENT counts and FLAGS, the OK codes UIDVALIDITY, UIDNEXT, UNSEEN,
// PERMANENTFLAGS, and READ-ONLY from the tagged OK. The same responses may
// come later in the session (new mail raises EXISTS, EXPUNGE lowers it), so
// reading them is one function that applies a response to the state, used
// for the opening answer and for whatever arrives afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

struct SelectedMailbox {
  std::string name;  // UTF-8, as the caller named it
  std::uint64_t exists = 0;
  std::uint64_t recent = 0;
  std::optional<std::uint64_t> uidvalidity;
  std::optional<std::uint64_t> uidnext;
  std::optional<std::uint64_t> first_unseen;  // sequence number of the first unseen message
  std::optional<std::uint64_t> highest_modseq;
  std::vector<std::string> flags;
  std::vector<std::string> permanent_flags;
  bool read_only = false;
};

// Applies one response (untagged data or status, or the tagged OK of the
// SELECT/EXAMINE) to `mailbox`; responses it does not know are ignored.
// Returns whether the response was about the mailbox.
bool apply_to_selected(SelectedMailbox& mailbox, const Response& response);

}  // namespace mailoauth::imap
