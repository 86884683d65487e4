// What an SMTP client session says about one message, as plain data with no
// I/O: the envelope it was given, the server's reply to MAIL, to each RCPT and
// after DATA, and the queue id the server named. A refusal is data here, not an
// error, because the relay has to know which recipients to retry and which to
// bounce; outcome() turns a report into one Result for a command-line caller.
// Also the TLS modes of a submission connection, by their user-facing names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/smtp/reply_parser.hpp"

namespace mailoauth::smtp {

enum class Security {
  Implicit,  // TLS from the first byte (port 465, RFC 8314)
  StartTls,  // plain text, then STARTTLS before anything else (587, 25)
  None,      // no TLS at all: tests and local relays only; AUTH then needs allow_plaintext_auth
};
// "implicit" (also "tls", "ssl"), "starttls", "none".
core::Result<Security> parse_security(std::string_view text);
std::string_view to_string(Security security);

struct Envelope {
  std::string from;  // empty: the null reverse-path <> (bounces)
  std::vector<std::string> recipients;
  bool needs_8bitmime = false;
  bool needs_smtputf8 = false;
};

struct RecipientResult {
  std::string address;
  Reply reply;
  bool accepted() const { return reply.code / 100 == 2; }
};

struct SendReport {
  Reply mail_reply;
  std::vector<RecipientResult> recipients;  // in the order given; empty when MAIL was refused
  std::optional<Reply> data_reply;          // 354's successor: the reply after the dot
  std::optional<Reply> data_start_reply;    // set when DATA itself was refused
  std::string queue_id;                     // "queued as X" from the final reply, when named

  bool delivered() const { return data_reply && data_reply->code / 100 == 2; }
  std::size_t accepted_count() const;
  // Success when the message was taken for at least one recipient (rejected
  // recipients are in `recipients`); otherwise the first refusal, explained.
  core::Result<void> outcome() const;
};

// The queue id in a final reply: Postfix's and Dovecot's "queued as X",
// Exchange's and Gmail's id after "OK"; empty when none is recognisable.
std::string queue_id_from(const Reply& reply);

}  // namespace mailoauth::smtp
