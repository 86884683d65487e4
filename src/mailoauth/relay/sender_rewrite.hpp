// Rewriting a message's sender for an upstream that takes only its own
// mailbox as the sender. Exchange Online refuses mail whose From (or MAIL
// FROM) is not the authenticated mailbox with 550 5.7.60 unless SendAs is
// granted, so a scanner that sends as scanner@contoso.com through the account
// relay@contoso.com needs its sender rewritten. The relay applies this at
// delivery time — the spool keeps the message as it was received, and a
// reload of the routes applies to mail already queued — so what is here is
// pure: text in, text out, no I/O. The header section is read up to a limit
// by relay/sender_rewriting_reader, which streams the body unchanged.
//
// What a header rewrite does: every From field is replaced by one
// `From: Display Name <mailbox>` (the display name of the original From kept
// as written when it was one mailbox in angle brackets); a Sender field is
// dropped (the mailbox is the only author now, and Exchange checks Sender as
// it checks From); when asked and the message has no Reply-To, a
// `Reply-To:` with the original From value is added, so replies still reach
// whoever sent it. New lines are folded before 78 columns where there is a
// space (RFC 5322 2.2.3), end as the message's own lines end, and carry no
// control character from the input (nothing a display name holds can start
// a field). Every other byte stays as it was. A message whose From already
// is the mailbox is left alone.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::relay {

// The header section read for a rewrite is at most this long (Postfix's
// header_size_limit); a message with a longer one is delivered unrewritten.
inline constexpr std::size_t kMaxRewriteHeader = 100 * 1024;

// An address the relay may write into From or MAIL FROM: local@domain with
// no space, control character or character that would change the field's
// structure (<>()[],;:"\), at most 320 bytes.
bool is_rewrite_address(std::string_view address);

// One rewrite of a route: off, to the route's account mailbox (address
// empty), or to an address of its own.
struct RewriteTarget {
  bool enabled = false;
  std::string address;  // empty: the route's account mailbox
  bool operator==(const RewriteTarget&) const = default;
};

// A route's rewrite keys (docs/relay.md: rewrite_envelope_from, rewrite_from,
// keep_original_in_reply_to).
struct SenderRewriteConfig {
  RewriteTarget envelope_from;
  RewriteTarget header_from;
  bool keep_original_in_reply_to = false;
  bool operator==(const SenderRewriteConfig&) const = default;
};

// The address `target` stands for, given the account's mailbox. Errors
// (Config, relay.rewrite_address): the address is not one is_rewrite_address takes.
core::Result<std::string> rewrite_address_for(const RewriteTarget& target,
                                              std::string_view account_mailbox);

// The MAIL FROM to send upstream: `original`, or the envelope target's
// address. The null sender (empty, a notification) stays null: giving it an
// address would let a bounce answer a bounce.
core::Result<std::string> envelope_from_for(const SenderRewriteConfig& config,
                                            std::string_view account_mailbox,
                                            std::string_view original);

// What to do to one message's header: `from` empty leaves it alone.
struct HeaderRewrite {
  std::string from;                // the mailbox to write into From
  bool reply_to_original = false;  // add Reply-To: <original From> when there is none
};

// The header rewrite for a route (from empty when rewrite_from is off).
core::Result<HeaderRewrite> header_rewrite_for(const SenderRewriteConfig& config,
                                               std::string_view account_mailbox);

struct RewrittenHeader {
  std::string text;  // the new header section, its empty line included
  bool from_rewritten = false;
  bool reply_to_added = false;
  bool sender_removed = false;
};

// `header` is the message's header section as stored, through the empty line
// that ends it (the whole message when it has no body). Errors (Permanent,
// mime.bad_header): not an RFC 5322 header, or longer than `limit`.
core::Result<RewrittenHeader> rewrite_header(std::string_view header, const HeaderRewrite& rewrite,
                                             std::size_t limit = kMaxRewriteHeader);

// The offset just after the empty line that ends the header section in
// `bytes`, if it is in them.
std::optional<std::size_t> header_section_end(std::string_view bytes);

}  // namespace mailoauth::relay
