// What a server's refusal means: a tagged NO or BAD, or an untagged BYE,
// turned into an Error whose code a caller can branch on and whose message
// quotes the server's own words. The response codes of RFC 5530 and RFC 3501
// decide the code and the class ([AUTHENTICATIONFAILED] Permanent,
// [UNAVAILABLE] Temporary, [NONEXISTENT]/[TRYCREATE] "mailbox not found", ...);
// servers that send no code (Exchange Online) are matched on their text where
// it is known, most notably "User is authenticated but not connected"
// (FACTS.md section 3), which only shows at the command after a successful
// AUTHENTICATE. Pure: no I/O, unit-tested against real servers' lines.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/response.hpp"

namespace mailoauth::imap {

// Stable error codes of the IMAP client (also used by client.cpp).
namespace error_code {
inline constexpr std::string_view kMailboxNotFound = "imap.mailbox_not_found";
inline constexpr std::string_view kAuthenticationFailed = "imap.authentication_failed";
inline constexpr std::string_view kAuthorizationFailed = "imap.authorization_failed";
inline constexpr std::string_view kCredentialsExpired = "imap.credentials_expired";
inline constexpr std::string_view kPrivacyRequired = "imap.privacy_required";
inline constexpr std::string_view kAuthenticatedNotConnected = "imap.authenticated_not_connected";
inline constexpr std::string_view kNoPermission = "imap.no_permission";
inline constexpr std::string_view kOverQuota = "imap.over_quota";
inline constexpr std::string_view kUnavailable = "imap.unavailable";
inline constexpr std::string_view kBye = "imap.bye";
inline constexpr std::string_view kNo = "imap.no";
inline constexpr std::string_view kBad = "imap.bad";
}  // namespace error_code

// One way a server refuses, as data: the refusal catalogue that
// command_error() explains with and `mailoauth explain` looks up.
struct RefusalEntry {
  enum class Match {
    Status,       // the status alone: BYE first; NO and BAD as the last resort
    Code,         // the bracketed response code, exactly (RFC 5530, RFC 3501)
    Text,         // a fragment of the human text, case-insensitive (servers without codes)
    MailboxText,  // the same, only for a NO to a command about a mailbox
  };
  Match match;
  Status status;                // for Match::Status
  std::string_view key;         // the code or the fragment ("AUTHENTICATIONFAILED")
  std::string_view error_code;  // error_code::k...
  core::ErrorClass error_class;
  std::string_view meaning;
  std::string_view remedy;   // empty: the server's words are all there is
  std::string_view example;  // a server's exact response line, without CRLF
};

// The first entry, in catalogue order, that explains `response`;
// `about_mailbox`: the refused command named a mailbox. Never null for a NO,
// BAD or BYE (the status entries catch the rest).
const RefusalEntry* find_refusal_entry(const Response& response, bool about_mailbox);

// Every entry, in matching order, for `mailoauth explain`, documentation and tests.
std::span<const RefusalEntry> refusal_catalogue();

// Whether AUTHENTICATE's error is the server refusing the credentials (a
// tagged NO: AUTHENTICATIONFAILED, EXPIRED, or no code at all, as Exchange
// answers) — the one case where a renewed token may help (oauth2::renew_once).
// Not BYE, not "authenticated but not connected", not AUTHORIZATIONFAILED.
bool refused_credentials(const core::Error& error);

// `command` is what was refused, for the message ("STATUS", "AUTHENTICATE
// XOAUTH2"); `mailbox` (UTF-8) the mailbox it was about, when it was about one.
core::Error command_error(std::string_view command, const Response& response,
                          std::string_view mailbox = {});

// "NO [NONEXISTENT] Mailbox doesn't exist: Junk", control characters escaped.
std::string server_words(const Response& response);

}  // namespace mailoauth::imap
