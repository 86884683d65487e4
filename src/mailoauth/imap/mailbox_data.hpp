// The untagged data a mailbox check reads (RFC 3501 section 7.2 and 7.3, RFC
// 4731 ESEARCH): LIST/LSUB entries, STATUS counters, SEARCH and ESEARCH
// results, each read from the generic value tree into a plain struct. Mailbox
// names are decoded from modified UTF-7 unless the session enabled UTF8=ACCEPT
// (then they are UTF-8 already); the name as sent is kept too, because that is
// what a later command must send back. ESEARCH results stay ranges: a folder
// of 100,000 messages answers "ALL 1:100000", and expanding it is the
// caller's decision, with a bound.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

enum class MailboxNameEncoding { ModifiedUtf7, Utf8 };

struct ListEntry {
  std::vector<std::string> flags;  // \HasNoChildren, \Noselect, \Junk, ... as sent
  std::optional<char> delimiter;   // NIL: a flat namespace
  std::string name;                // UTF-8
  std::string name_as_sent;        // for commands: quote_astring(name_as_sent)

  bool has_flag(std::string_view flag) const;
};

// "* LIST (\HasNoChildren) "/" INBOX" (or LSUB).
core::Result<ListEntry> parse_list(
    const Response& response, MailboxNameEncoding encoding = MailboxNameEncoding::ModifiedUtf7);

struct MailboxStatus {
  std::string name;  // UTF-8
  std::optional<std::uint64_t> messages;
  std::optional<std::uint64_t> recent;
  std::optional<std::uint64_t> uidnext;
  std::optional<std::uint64_t> uidvalidity;
  std::optional<std::uint64_t> unseen;
};

// "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)"; unknown items are skipped.
core::Result<MailboxStatus> parse_status(
    const Response& response, MailboxNameEncoding encoding = MailboxNameEncoding::ModifiedUtf7);

// "* SEARCH 2 84 882" (a trailing CONDSTORE "(MODSEQ n)" is skipped).
core::Result<std::vector<std::uint64_t>> parse_search(const Response& response);

struct NumberRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // >= first

  bool operator==(const NumberRange&) const = default;
};

struct ExtendedSearch {
  std::string tag;  // the command's tag from (TAG "A282"), if given
  bool uid = false;
  std::optional<std::uint64_t> min;
  std::optional<std::uint64_t> max;
  std::optional<std::uint64_t> count;
  std::vector<NumberRange> all;  // ALL 1:3,5 -> {1,3} {5,5}; empty when absent or nothing matched
};

// "* ESEARCH (TAG "A282") UID MIN 2 COUNT 3 ALL 2,10:11".
core::Result<ExtendedSearch> parse_esearch(const Response& response);

// A sequence set without '*' ("2,10:11") into ranges; "11:10" is {10,11}.
core::Result<std::vector<NumberRange>> parse_number_set(std::string_view text);

// The numbers of `ranges`, refusing to produce more than max_numbers.
core::Result<std::vector<std::uint64_t>> expand_ranges(const std::vector<NumberRange>& ranges,
                                                       std::size_t max_numbers);

}  // namespace mailoauth::imap
