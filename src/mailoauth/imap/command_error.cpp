// The refusal table, in matching order: BYE first, then the texts that
// outrank a code ("authenticated but not connected"), the response codes
// (exact, from the RFCs), the texts of servers that send none, and NO/BAD by
// themselves last. Examples are servers' exact lines: Dovecot's and Gmail's
// as seen on the wire, Exchange Online's from FACTS.md section 3 and seed 004.
#include "mailoauth/imap/command_error.hpp"

#include <array>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::imap {

namespace {

using core::ErrorClass;
using Match = RefusalEntry::Match;

constexpr std::string_view kCheckFolder =
    "check the folder's name (LIST shows them; names are case-sensitive except INBOX)";

constexpr std::array<RefusalEntry, 23> kEntries = {{
    {Match::Status, Status::Bye, "BYE", error_code::kBye, ErrorClass::Temporary,
     "the server closed the session", "the server is shutting down or dropped us; try again later",
     "* BYE Server shutting down."},
    {Match::Text, Status::None, "User is authenticated but not connected",
     error_code::kAuthenticatedNotConnected, ErrorClass::Permanent,
     "Exchange Online accepted the token, but its identity cannot open the mailbox; it says so "
     "only at the first command after AUTHENTICATE",
     "the token is valid but its identity cannot open the mailbox named in user=: the "
     "wrong account consented, the app lacks FullAccess on the mailbox "
     "(Add-MailboxPermission), or a shared mailbox is used without permission",
     "AO003 BAD User is authenticated but not connected."},
    {Match::Code, Status::None, "NONEXISTENT", error_code::kMailboxNotFound, ErrorClass::Permanent,
     "the mailbox (folder) does not exist", kCheckFolder,
     "M4 NO [NONEXISTENT] Mailbox doesn't exist: Junk (0.001 + 0.000 secs)."},
    {Match::Code, Status::None, "TRYCREATE", error_code::kMailboxNotFound, ErrorClass::Permanent,
     "the mailbox (folder) does not exist", "check the folder's name, or create it first",
     "M4 NO [TRYCREATE] Mailbox doesn't exist: Junk"},
    {Match::Code, Status::None, "AUTHENTICATIONFAILED", error_code::kAuthenticationFailed,
     ErrorClass::Permanent, "the server did not accept the user name and password or token",
     "check the user name and the password or token (a token's audience, scope and "
     "expiry; for Microsoft 365 also the mailbox permission of the app)",
     "A1 NO [AUTHENTICATIONFAILED] Authentication failed."},
    {Match::Code, Status::None, "AUTHORIZATIONFAILED", error_code::kAuthorizationFailed,
     ErrorClass::Permanent,
     "the credentials are good but this identity may not act as the user asked for",
     "the credentials are good but may not open this mailbox: check the mailbox "
     "permission (FullAccess for an app or a delegate)",
     "A1 NO [AUTHORIZATIONFAILED] No such authorization-ID"},
    {Match::Code, Status::None, "EXPIRED", error_code::kCredentialsExpired, ErrorClass::Permanent,
     "the password or token has expired", "renew the password or the token",
     "A1 NO [EXPIRED] That password isn't valid any more"},
    {Match::Code, Status::None, "PRIVACYREQUIRED", error_code::kPrivacyRequired, ErrorClass::Config,
     "the server refuses this over an unencrypted connection",
     "use TLS: the implicit TLS port (993) or STARTTLS",
     "A1 NO [PRIVACYREQUIRED] Connection insecure, TLS required"},
    {Match::Code, Status::None, "CONTACTADMIN", error_code::kNo, ErrorClass::Permanent,
     "the server refuses and asks the user to contact its administrator",
     "the server asks for its administrator: the account may be disabled",
     "A1 NO [CONTACTADMIN] Account disabled, contact your administrator"},
    {Match::Code, Status::None, "NOPERM", error_code::kNoPermission, ErrorClass::Permanent,
     "the account lacks the right for this folder or operation",
     "the account lacks the right for this folder or operation",
     "A1 NO [NOPERM] Permission denied"},
    {Match::Code, Status::None, "OVERQUOTA", error_code::kOverQuota, ErrorClass::Permanent,
     "the mailbox is over its quota", "the mailbox is full", "A1 NO [OVERQUOTA] Quota exceeded"},
    {Match::Code, Status::None, "UNAVAILABLE", error_code::kUnavailable, ErrorClass::Temporary,
     "the server cannot serve this now (a backend is down)", "try again later",
     "A1 NO [UNAVAILABLE] Internal error occurred. Refer to server log for more information."},
    {Match::Code, Status::None, "INUSE", error_code::kUnavailable, ErrorClass::Temporary,
     "the mailbox is in use by another session", "try again later", "A1 NO [INUSE] Mailbox in use"},
    {Match::Code, Status::None, "SERVERBUG", error_code::kUnavailable, ErrorClass::Temporary,
     "the server reports a fault of its own",
     "the server reports a fault of its own; try again later",
     "A1 NO [SERVERBUG] Internal error occurred. Refer to server log for more information."},
    {Match::Code, Status::None, "LIMIT", error_code::kUnavailable, ErrorClass::Temporary,
     "a server limit was hit", "a server limit was hit; try again later with a smaller request",
     "A1 NO [LIMIT] Too many messages"},
    {Match::Code, Status::None, "CANNOT", error_code::kNo, ErrorClass::Permanent,
     "the server can never do this operation", "", "A1 NO [CANNOT] Can't do that"},
    {Match::Code, Status::None, "CLIENTBUG", error_code::kBad, ErrorClass::Bug,
     "the server says the client sent something wrong", "report it to mailoauth",
     "A1 NO [CLIENTBUG] Invalid command"},
    // Exchange Online refuses a token without a code (FACTS.md sections 1 and 3).
    {Match::Text, Status::None, "AUTHENTICATE failed", error_code::kAuthenticationFailed,
     ErrorClass::Permanent, "Exchange Online did not accept the token",
     "check the token (mailoauth token inspect ACCOUNT): audience https://outlook.office.com "
     "with scope IMAP.AccessAsUser.All (delegated) or https://outlook.office365.com with role "
     "IMAP.AccessAsApp (app-only); that user= is the mailbox; for app-only, that "
     "New-ServicePrincipal was given the object id of the ENTERPRISE APPLICATION and the "
     "service principal has FullAccess (Add-MailboxPermission); and that IMAP is on for the "
     "mailbox (Set-CASMailbox -ImapEnabled $true)",
     "A1 NO AUTHENTICATE failed."},
    // What servers without codes say about a missing mailbox.
    {Match::MailboxText, Status::None, "doesn't exist", error_code::kMailboxNotFound,
     ErrorClass::Permanent, "the mailbox (folder) does not exist", kCheckFolder,
     "M4 NO Mailbox doesn't exist: Junk"},
    {Match::MailboxText, Status::None, "does not exist", error_code::kMailboxNotFound,
     ErrorClass::Permanent, "the mailbox (folder) does not exist", kCheckFolder,
     "M4 NO Mailbox does not exist"},
    {Match::MailboxText, Status::None, "not found", error_code::kMailboxNotFound,
     ErrorClass::Permanent, "the mailbox (folder) does not exist", kCheckFolder,
     "M4 NO Folder not found."},
    {Match::Status, Status::Bad, "BAD", error_code::kBad, ErrorClass::Permanent,
     "the server rejected the command as invalid", "", "M5 BAD Error in IMAP command"},
    {Match::Status, Status::No, "NO", error_code::kNo, ErrorClass::Permanent,
     "the server refused the command", "", "M5 NO Command refused"},
}};

constexpr std::size_t kNonexistent = 2;
static_assert(kEntries[kNonexistent].key == "NONEXISTENT");

// Other texts servers without codes use for a missing mailbox, kept as
// they were matched before the catalogue listed the common three.
constexpr std::array<std::string_view, 2> kMoreMissingMailboxTexts = {"unknown mailbox",
                                                                      "no such mailbox"};

bool matches(const RefusalEntry& entry, const Response& response, bool about_mailbox) {
  switch (entry.match) {
    case Match::Status:
      return response.status == entry.status;
    case Match::Code:
      return response.code && response.code->name == entry.key;
    case Match::Text:
      return core::icontains(response.text, entry.key);
    case Match::MailboxText:
      return about_mailbox && response.status == Status::No &&
             core::icontains(response.text, entry.key);
  }
  return false;
}

}  // namespace

const RefusalEntry* find_refusal_entry(const Response& response, bool about_mailbox) {
  for (const auto& entry : kEntries) {
    // NO and BAD alone come after the mailbox texts; those need the status checked first.
    if (entry.match == Match::Status && entry.status != Status::Bye && about_mailbox &&
        response.status == Status::No) {
      for (auto text : kMoreMissingMailboxTexts) {
        if (core::icontains(response.text, text)) return &kEntries[kNonexistent];
      }
    }
    if (matches(entry, response, about_mailbox)) return &entry;
  }
  return nullptr;
}

std::span<const RefusalEntry> refusal_catalogue() {
  return kEntries;
}

std::string server_words(const Response& response) {
  std::string words(to_string(response.status));
  if (response.code) {
    words += " [" + response.code->name;
    if (!response.code->text.empty()) words += " " + response.code->text;
    words += "]";
  }
  if (!response.text.empty()) words += " " + response.text;
  return core::escape_control_characters(words);
}

core::Error command_error(std::string_view command, const Response& response,
                          std::string_view mailbox) {
  const std::string said = server_words(response);
  const std::string quoted_mailbox = core::escape_control_characters(mailbox);
  const RefusalEntry* entry = find_refusal_entry(response, !mailbox.empty());
  const std::string error_code(entry != nullptr ? entry->error_code : error_code::kNo);
  const ErrorClass error_class = entry != nullptr ? entry->error_class : ErrorClass::Permanent;
  const std::string remedy(entry != nullptr ? entry->remedy : std::string_view());
  if (error_code == error_code::kBye) {
    return core::Error(error_class, error_code,
                       fmt::format("the server closed the session during {}: {}", command, said),
                       remedy);
  }
  if (error_code == error_code::kAuthenticatedNotConnected) {
    return core::Error(error_class, error_code,
                       fmt::format("{} was refused after a successful login: {}", command, said),
                       remedy);
  }
  if (error_code == error_code::kMailboxNotFound) {
    return core::Error(error_class, error_code,
                       fmt::format("mailbox not found: \"{}\" (the server answered {} with: {})",
                                   quoted_mailbox, command, said),
                       remedy);
  }
  const std::string about =
      mailbox.empty() ? std::string(command) : fmt::format("{} \"{}\"", command, quoted_mailbox);
  if (entry != nullptr && entry->match == Match::Status && entry->status == Status::Bad) {
    return core::Error(error_class, error_code,
                       fmt::format("the server rejected {} as invalid: {}", about, said), remedy);
  }
  return core::Error(error_class, error_code, fmt::format("the server refused {}: {}", about, said),
                     remedy);
}

bool refused_credentials(const core::Error& error) {
  return error.code() == error_code::kAuthenticationFailed ||
         error.code() == error_code::kCredentialsExpired || error.code() == error_code::kNo;
}

}  // namespace mailoauth::imap
