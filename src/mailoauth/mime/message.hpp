// Messages for `mailoauth send`: built from options (From, To, Cc, Bcc,
// Reply-To, a subject and display names in any language — RFC 2047 encoded
// words —, a text and/or an HTML body, attachments with their type guessed
// from the file name, Date, Message-ID) with GMime, or taken ready-made
// (`--raw`, sendmail mode) and left as they are except for a missing Date or
// Message-ID and, with `-t`, the Bcc header. Either way the result says who
// the envelope goes to (Bcc recipients included: they are only never in the
// header) and whether the message needs 8BITMIME or SMTPUTF8, so the SMTP
// client can refuse clearly when the server lacks them. GMime (and glib) stay
// behind this header; the library `mailoauth_mime` (parse_address_list,
// build_message) is linked only by the programs that build mail, while
// prepare_raw_message needs no GMime and is in the main library
// (raw_message.cpp), so sending a ready message never loads it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"

namespace mailoauth::mime {

struct Mailbox {
  std::string name;     // display name, UTF-8; may be empty
  std::string address;  // addr-spec
};

// An RFC 5322 address list ("Jane <j@x>, k@y, Group: a@b;"), encoded words
// decoded; groups flattened. Refuses CR, LF and NUL, and an empty result.
core::Result<std::vector<Mailbox>> parse_address_list(std::string_view text);

struct Attachment {
  std::filesystem::path path;
  std::string file_name;     // empty: the path's file name
  std::string content_type;  // empty: guessed from the file name
};

struct MessageDraft {
  Mailbox from;
  std::vector<Mailbox> to, cc, bcc, reply_to;
  std::string subject;    // UTF-8
  std::string text_body;  // UTF-8; may be empty when html_body is not
  std::string html_body;
  std::vector<Attachment> attachments;
  std::optional<core::Clock::WallTime> date;  // empty: now
  std::string message_id_domain;              // empty: the From address's domain
};

struct Message {
  std::string data;  // the message as sent (before SMTP dot-stuffing)
  std::string envelope_from;
  std::vector<std::string> recipients;  // To, Cc and Bcc addresses, de-duplicated
  std::string message_id;               // without angle brackets
  bool needs_8bitmime = false;          // bytes >= 0x80 in the body
  bool needs_smtputf8 = false;          // non-ASCII in an address
};

inline constexpr std::size_t kMaxAttachmentSize = std::size_t{150} << 20;

core::Result<Message> build_message(const MessageDraft& draft);

struct RawOptions {
  bool recipients_from_headers = false;  // sendmail -t: To, Cc, Bcc; Bcc then removed
  std::string envelope_from;             // empty: the From header's address
  std::string message_id_domain;         // for a missing Message-ID
  std::optional<core::Clock::WallTime> now;
  std::size_t max_size = std::size_t{150} << 20;
};

// A ready-made message; `recipients` given on the command line are added to
// those taken from the headers (when asked). Main library, no GMime.
core::Result<Message> prepare_raw_message(std::string_view input,
                                          const std::vector<std::string>& recipients,
                                          const RawOptions& options);

// "application/pdf" for "report.pdf"; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name);

}  // namespace mailoauth::mime
