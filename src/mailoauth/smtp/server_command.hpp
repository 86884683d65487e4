// The relay's SMTP command grammar (RFC 5321 section 4.1, with RFC 1870 SIZE,
// 6152 8BITMIME, 3030 CHUNKING, 6531 SMTPUTF8, 4954 AUTH and 3207 STARTTLS):
// one command line in, a Command or the reply that refuses it out. No I/O and
// no session state; whether a command is allowed now (MAIL before EHLO, RCPT
// without MAIL) is the session's business, not the grammar's.
//
// Strict where it protects: no control characters or spaces inside an
// address, the path and domain lengths of RFC 5321 4.5.3.1, every ESMTP
// parameter checked by its own grammar and unknown ones refused with 555
// 5.5.4, duplicates refused. Lenient where legacy devices are known to
// stray and nothing is lost by it, as Postfix is by default: `MAIL FROM: <a@b>`
// (a space after the colon), a path without angle brackets, several spaces
// between words, lower-case verbs, and any printable EHLO name (printers
// announce themselves as "EPSON_1234").
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/secret.hpp"
#include "mailoauth/smtp/server_reply.hpp"

namespace mailoauth::smtp {

enum class Verb {
  Helo,
  Ehlo,
  Mail,
  Rcpt,
  Data,
  Bdat,
  Rset,
  Noop,
  Quit,
  Vrfy,
  Expn,
  Help,
  StartTls,
  Auth
};
std::string_view to_string(Verb verb);

enum class BodyType { SevenBit, EightBitMime, BinaryMime };

struct MailParameters {
  std::optional<std::uint64_t> size;  // SIZE= (RFC 1870): the client's estimate
  BodyType body = BodyType::SevenBit;
  bool smtputf8 = false;
  std::optional<std::string> auth;  // AUTH= (RFC 4954 section 5), as sent
};

struct Command {
  Verb verb = Verb::Noop;
  // EHLO/HELO: the name given; VRFY/EXPN/HELP/NOOP: the text; AUTH: the
  // mechanism, upper-cased.
  std::string argument;
  // MAIL/RCPT: the path's mailbox without angle brackets or source route;
  // empty for MAIL's null reverse-path <>.
  std::string address;
  bool address_is_ascii = true;  // false: the address needs SMTPUTF8
  MailParameters mail;           // MAIL only
  std::uint64_t chunk_size = 0;  // BDAT only
  bool last_chunk = false;       // BDAT ... LAST
  // AUTH's initial response, base64 as sent ("=" for an empty one). It
  // carries a password, so it is a Secret.
  std::optional<core::Secret> initial_response;
};

struct GrammarLimits {
  std::size_t max_path_length = 256;    // RFC 5321 4.5.3.1.3, angle brackets included
  std::size_t max_domain_length = 255;  // 4.5.3.1.2
  std::size_t max_local_part = 64;      // 4.5.3.1.1
};

// One command line without its CR LF. A refusal is the reply to send.
std::expected<Command, ServerReply> parse_command(std::string_view line,
                                                  const GrammarLimits& limits = {});

// True when `address` is a mailbox RFC 5321 (with RFC 6531's UTF-8) accepts:
// local part (dot-string or quoted string) "@" domain or address literal.
// For the relay's configuration checks and its rewriting.
bool is_valid_mailbox(std::string_view address, const GrammarLimits& limits = {});

}  // namespace mailoauth::smtp
