// Arguments of the commands we send (RFC 3501 section 9 "astring"): a user
// name, a password, a mailbox name. The cheapest form the grammar allows is
// chosen: an atom when every byte is an ATOM-CHAR (and the word is not NIL),
// a quoted string when it has no control character (CR, LF, ...) and no 8-bit
// byte (only '"' and '\' are escaped), and otherwise a non-synchronising
// literal {n+} (RFC 7888) whose CRLF and bytes follow. The form is returned
// with the text so a client talking to a server without LITERAL+ can send the
// literal the synchronising way instead. NUL has no form in IMAP4rev1 and is refused.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::imap {

enum class AstringForm { Atom, Quoted, Literal };

struct Astring {
  AstringForm form = AstringForm::Atom;
  std::string wire;  // what goes on the command line; Literal: "{n+}\r\n" then the bytes
};

core::Result<Astring> quote_astring(std::string_view text);

// The same for a password (LOGIN): the quoted form stays a Secret, so the
// password is wiped with it and can only reach a log through redaction.
struct SecretAstring {
  AstringForm form = AstringForm::Atom;
  core::Secret wire;
};

core::Result<SecretAstring> quote_secret_astring(const core::Secret& text);

// A mailbox name typed in UTF-8, encoded in modified UTF-7 and quoted for a
// command: quote_astring(encode_modified_utf7(name)).
core::Result<Astring> quote_mailbox(std::string_view utf8_name);

}  // namespace mailoauth::imap
