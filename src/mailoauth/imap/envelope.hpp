// A FETCH ENVELOPE (RFC 3501 section 7.4.2) read from the value tree: date,
// subject, the address lists and the message ids, as the server parsed them
// from the header. Text stays as sent (RFC 2047 encoded words are decoded by
// whoever prints them, not here); NIL stays distinguishable from "". Group
// syntax markers (an address with a NIL host) are skipped: a report lists
// mailboxes, not group names.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

struct EnvelopeAddress {
  std::optional<std::string> name;  // display name as sent, maybe RFC 2047 encoded
  std::string mailbox;              // local part
  std::string host;                 // domain

  // "mailbox@host" (just the mailbox when the host is empty).
  std::string address() const;
};

struct Envelope {
  std::optional<std::string> date;  // the Date: header as sent ("Mon, 7 Feb 1994 21:52:25 -0800")
  std::optional<std::string> subject;
  std::vector<EnvelopeAddress> from;
  std::vector<EnvelopeAddress> sender;
  std::vector<EnvelopeAddress> reply_to;
  std::vector<EnvelopeAddress> to;
  std::vector<EnvelopeAddress> cc;
  std::vector<EnvelopeAddress> bcc;
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
};

// From the ENVELOPE item's value: a list of ten fields. Wrong shapes are
// imap.bad_data (Permanent).
core::Result<Envelope> parse_envelope(const Value& value);

}  // namespace mailoauth::imap
