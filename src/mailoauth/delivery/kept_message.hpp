// What a message that could not be sent looks like on disk, so a person (or
// the relay, later) can send it again: the envelope in
// `X-Mailoauth-Envelope-From:` / `X-Mailoauth-Envelope-To:` lines, then the
// message as it would have been sent. The envelope comes from a command line
// (`-f`, `--envelope-from`) and must not be able to add lines of its own, so
// addresses with control characters, spaces or angle brackets are refused
// where they enter (check_envelope_address) and, should one slip through,
// escaped when written (render_kept_message). Pure: the writing, with its
// failures reported, is the caller's.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::delivery {

// An envelope address (MAIL FROM or RCPT TO) as given on a command line:
// refused (Config, `delivery.bad_envelope_address`) when it holds CR, LF,
// NUL, any other control character, a space, '<' or '>'. Empty is allowed
// (the null reverse-path). `role` names it in the message ("envelope sender").
core::Result<void> check_envelope_address(std::string_view address, std::string_view role);

// The kept file's contents: the envelope block, then `data`. Control
// characters in the envelope are escaped (\r, \n, \xNN), never written raw.
std::string render_kept_message(std::string_view envelope_from,
                                const std::vector<std::string>& recipients, std::string_view data);

// "20261204T223000Z-1234-<id>.eml" with everything but letters, digits, '.',
// '-' and '@' in the id made '_' and the id cut at 80 characters.
std::string kept_file_name(std::string_view utc_stamp, long process_id,
                           std::string_view message_id);

}  // namespace mailoauth::delivery
