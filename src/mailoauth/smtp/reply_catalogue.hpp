// What a mail server's refusal means and what the admin should do about it:
// the SMTP part of the error catalogue, kept as data in one place
// (reply_catalogue.cpp), next to the OAuth one (oauth2/error_catalogue). It
// holds the replies people actually meet when mail moves to OAuth2: Exchange
// Online's 5.7.139 variants, 5.7.3, 5.7.57, SendAs and throttling, Gmail's and
// Dovecot's. An entry matches on the reply code, the enhanced status code and
// a fragment of the text, each optional; the table is ordered most specific
// first and the first match wins. The class follows the reply (4xx Temporary,
// 5xx Permanent) except where an entry says otherwise, for example a 5xx that
// only means "not now" (throttling) or one caused by our own setup.
#pragma once

#include <span>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/smtp/reply_parser.hpp"

namespace mailoauth::smtp {

struct ReplyCatalogueEntry {
  std::string_view name;             // the Error code after "smtp.": "client_auth_disabled_tenant"
  int code;                          // 535; 0: any code
  std::string_view enhanced_status;  // "5.7.139"; empty: any (or none)
  std::string_view text_fragment;    // found case-insensitively in the text; empty: any
  core::ErrorClass error_class;
  std::string_view meaning;
  std::string_view remedy;
  // The provider's exact reply (first line, as it comes off the wire, without
  // CRLF): what `mailoauth explain` matches pasted text against, what
  // docs/errors.md shows, and what tests/cli/catalogue/proofs.tsv replays.
  std::string_view example = {};
};

// The first entry that matches the reply, if any.
const ReplyCatalogueEntry* find_reply_entry(const Reply& reply);

// Every entry, in matching order, for documentation and tests.
std::span<const ReplyCatalogueEntry> reply_catalogue();

// The Error for a reply that stops what we were doing, `during` naming it
// ("AUTH XOAUTH2", "MAIL FROM", "RCPT TO <a@example.com>"; empty: not said).
// The message quotes the server's first line with control characters escaped
// and adds the catalogue's meaning; the remedy is the catalogue's. A reply no
// entry knows gets the class of its code (a 2xx or 3xx here was unexpected:
// Temporary) and a remedy that points at the server's own words.
core::Error explain_reply(const Reply& reply, std::string_view during);

}  // namespace mailoauth::smtp
