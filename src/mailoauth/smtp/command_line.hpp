// Every command line the SMTP client writes is made here and nowhere else.
// A user-supplied word (the EHLO name from --helo, the MAIL and RCPT
// addresses, ESMTP parameters) could otherwise carry a CR LF and put a second
// command on the wire: `--helo $'vm\r\nRSET'` once made Dovecot answer an RSET
// the client then took for its STARTTLS reply. So the writer accepts only a
// CommandLine, and a CommandLine can only come out of the builders below,
// each of which checks its words against RFC 5321's grammar (4.1.2) and then
// the whole line (no control character, at most 512 octets with CRLF,
// 4.5.3.1.4). A refusal is a Config error that names the word and shows it
// escaped; nothing is sent. AUTH lines carry credentials (Secrets) and are
// built by auth_command; check_auth_line is their gate. No I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::smtp {

// A checked command line, without its CRLF.
class CommandLine {
 public:
  const std::string& text() const { return text_; }
  // The bytes to write: the text and CRLF.
  std::string wire() const { return text_ + "\r\n"; }

 private:
  friend core::Result<CommandLine> finish_command_line(std::string text);
  explicit CommandLine(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// What a user-supplied word is; each kind has its grammar.
enum class WordKind {
  HeloName,   // a domain (letters, digits, '-', '.', '_') or an address literal "[192.0.2.1]"
  Mailbox,    // inside <...>: no control character, space, '<' or '>'; UTF-8 allowed (SMTPUTF8)
  Parameter,  // keyword[=value]: keyword letters/digits/'-', value printable without '=' or space
};

// The validator for one word. `what` names it for the reader ("the EHLO name
// (--helo)", "the recipient address"). Config errors: smtp.bad_helo_name,
// smtp.bad_address, smtp.bad_parameter.
core::Result<void> check_word(WordKind kind, std::string_view what, std::string_view word);

// The whole-line check every builder ends with (smtp.bad_command_line).
core::Result<CommandLine> finish_command_line(std::string text);

// "EHLO name" / "HELO name"; `verb` is ours, `name` the user's.
core::Result<CommandLine> hello_command(std::string_view verb, std::string_view name);
// "MAIL FROM:<address> param..." (an empty address is the null reverse-path).
core::Result<CommandLine> mail_command(std::string_view address,
                                       std::span<const std::string> parameters);
// "RCPT TO:<address> param..." (the address must not be empty).
core::Result<CommandLine> rcpt_command(std::string_view address,
                                       std::span<const std::string> parameters);
// "BDAT n" or "BDAT n LAST" (RFC 3030).
CommandLine bdat_command(std::uint64_t size, bool last);

// The commands without arguments.
enum class Verb { Data, Rset, Quit, StartTls, Noop };
CommandLine simple_command(Verb verb);

// AUTH lines: exactly one CRLF, at the end, and no other control character
// (smtp.bad_command_line, Bug: SASL encodes everything in base64, so only a
// defect can fail it). The line is never quoted in the error.
core::Result<void> check_auth_line(const core::Secret& line);

}  // namespace mailoauth::smtp
