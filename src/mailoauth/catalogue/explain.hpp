// `mailoauth explain`'s matching: which catalogue entry a text a user pasted
// belongs to. The five catalogues stay where the programs use them (SMTP
// replies: smtp/reply_catalogue; IMAP refusals: imap/command_error; Graph:
// graph/error_catalogue; OAuth `error` codes and AADSTS numbers:
// oauth2/error_catalogue), and this file reads the same tables, so an entry
// explained here is the entry a program reports when it meets that reply.
// Pasted text is hostile (any length, binary, CR/LF): only the first
// kMaxInputBytes are looked at, nothing is kept unescaped, and the matching
// is a pure function (no I/O) with a fuzz target (catalogue_explain).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::catalogue {

enum class Kind { Smtp, Imap, Graph, OAuth, Aadsts };

std::string_view to_string(Kind kind);  // "smtp", "imap", "graph", "oauth", "aadsts"
std::string_view describe(Kind kind);   // "SMTP reply", ...

// One catalogue entry, whatever its catalogue, in the words a user sees.
struct Entry {
  Kind kind;
  std::string id;  // unique and stable: "smtp.client_auth_disabled_tenant", "aadsts.7000215"
  std::string error_code;  // the Error code the programs report: "smtp.security_defaults"
  std::string pattern;     // how it is recognised: 535 5.7.139 "...Tenant"
  core::ErrorClass error_class;
  std::string_view meaning;
  std::string_view remedy;   // empty: the server's words are all there is
  std::string_view example;  // the provider's exact text, when the catalogue keeps one
};

// Every entry of every catalogue, in catalogue order (SMTP, IMAP, Graph,
// OAuth, AADSTS), built once from the tables.
std::span<const Entry> entries();

struct Candidate {
  std::size_t entry;                 // index into entries()
  int score;                         // higher is better; only for ranking
  bool used = false;                 // the entry a program meeting this exact reply reports
  std::vector<std::string> matched;  // what matched, for the user: "enhanced status 5.7.139"
};

struct Explanation {
  std::string shown_input;  // escaped, at most kShownInputBytes of it, "..." when cut
  std::size_t input_size = 0;
  bool truncated = false;             // longer than kMaxInputBytes: the rest was not looked at
  std::vector<Candidate> candidates;  // ranked, best first; empty: not in the catalogue
  // An AADSTS number or Graph/OAuth code that was recognised but that no
  // entry knows, for the "not in the catalogue" advice ("AADSTS12345").
  std::string unknown_code;
};

inline constexpr std::size_t kMaxInputBytes = 16 * 1024;
inline constexpr std::size_t kShownInputBytes = 200;
inline constexpr std::size_t kMaxCandidates = 6;

// Which entries `pasted` belongs to: an SMTP reply (code, enhanced status,
// text), an IMAP response (tag, NO/BAD/BYE, [CODE], text), a Graph error code
// or JSON body, an OAuth `error` code or token endpoint JSON body, AADSTS
// numbers (in an error_description or alone). Several candidates when it is
// ambiguous ("5.7.139" alone), ranked.
Explanation explain(std::string_view pasted);

}  // namespace mailoauth::catalogue
