// The refusal table: response code first (exact, from the RFCs), then known
// texts of servers that send none, then NO/BAD by themselves.
#include "mailoauth/imap/command_error.hpp"

#include <array>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::imap {

namespace {

using core::ErrorClass;

struct CodeMeaning {
  std::string_view response_code;
  std::string_view error_code;
  ErrorClass error_class;
  std::string_view remedy;
};

constexpr std::array<CodeMeaning, 15> kCodes = {{
    {"NONEXISTENT", error_code::kMailboxNotFound, ErrorClass::Permanent,
     "check the folder's name (LIST shows them; names are case-sensitive except INBOX)"},
    {"TRYCREATE", error_code::kMailboxNotFound, ErrorClass::Permanent,
     "check the folder's name, or create it first"},
    {"AUTHENTICATIONFAILED", error_code::kAuthenticationFailed, ErrorClass::Permanent,
     "check the user name and the password or token (a token's audience, scope and "
     "expiry; for Microsoft 365 also the mailbox permission of the app)"},
    {"AUTHORIZATIONFAILED", error_code::kAuthorizationFailed, ErrorClass::Permanent,
     "the credentials are good but may not open this mailbox: check the mailbox "
     "permission (FullAccess for an app or a delegate)"},
    {"EXPIRED", error_code::kCredentialsExpired, ErrorClass::Permanent,
     "renew the password or the token"},
    {"PRIVACYREQUIRED", error_code::kPrivacyRequired, ErrorClass::Config,
     "use TLS: the implicit TLS port (993) or STARTTLS"},
    {"CONTACTADMIN", error_code::kNo, ErrorClass::Permanent,
     "the server asks for its administrator: the account may be disabled"},
    {"NOPERM", error_code::kNoPermission, ErrorClass::Permanent,
     "the account lacks the right for this folder or operation"},
    {"OVERQUOTA", error_code::kOverQuota, ErrorClass::Permanent, "the mailbox is full"},
    {"UNAVAILABLE", error_code::kUnavailable, ErrorClass::Temporary, "try again later"},
    {"INUSE", error_code::kUnavailable, ErrorClass::Temporary, "try again later"},
    {"SERVERBUG", error_code::kUnavailable, ErrorClass::Temporary,
     "the server reports a fault of its own; try again later"},
    {"LIMIT", error_code::kUnavailable, ErrorClass::Temporary,
     "a server limit was hit; try again later with a smaller request"},
    {"CANNOT", error_code::kNo, ErrorClass::Permanent, ""},
    {"CLIENTBUG", error_code::kBad, ErrorClass::Bug, "report it to mailoauth"},
}};

// Text a server without response codes uses for a missing mailbox.
constexpr std::array<std::string_view, 5> kMissingMailboxTexts = {
    "doesn't exist", "does not exist", "not found", "unknown mailbox", "no such mailbox"};

bool contains_ignoring_case(std::string_view text, std::string_view fragment) {
  if (fragment.size() > text.size()) return false;
  for (std::size_t i = 0; i + fragment.size() <= text.size(); ++i) {
    if (core::iequals(text.substr(i, fragment.size()), fragment)) return true;
  }
  return false;
}

}  // namespace

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
  if (response.status == Status::Bye) {
    return core::Error(ErrorClass::Temporary, std::string(error_code::kBye),
                       fmt::format("the server closed the session during {}: {}", command, said),
                       "the server is shutting down or dropped us; try again later");
  }
  if (contains_ignoring_case(response.text, "User is authenticated but not connected")) {
    return core::Error(
        ErrorClass::Permanent, std::string(error_code::kAuthenticatedNotConnected),
        fmt::format("{} was refused after a successful login: {}", command, said),
        "the token is valid but its identity cannot open the mailbox named in user=: the "
        "wrong account consented, the app lacks FullAccess on the mailbox "
        "(Add-MailboxPermission), or a shared mailbox is used without permission");
  }
  const CodeMeaning* meaning = nullptr;
  if (response.code) {
    for (const auto& entry : kCodes) {
      if (entry.response_code == response.code->name) meaning = &entry;
    }
  }
  if (meaning == nullptr && !mailbox.empty() && response.status == Status::No) {
    for (auto text : kMissingMailboxTexts) {
      if (contains_ignoring_case(response.text, text)) meaning = &kCodes[0];
    }
  }
  if (meaning != nullptr && meaning->error_code == error_code::kMailboxNotFound) {
    return core::Error(meaning->error_class, std::string(meaning->error_code),
                       fmt::format("mailbox not found: \"{}\" (the server answered {} with: {})",
                                   quoted_mailbox, command, said),
                       std::string(meaning->remedy));
  }
  const std::string about =
      mailbox.empty() ? std::string(command) : fmt::format("{} \"{}\"", command, quoted_mailbox);
  if (meaning != nullptr) {
    return core::Error(meaning->error_class, std::string(meaning->error_code),
                       fmt::format("the server refused {}: {}", about, said),
                       std::string(meaning->remedy));
  }
  if (response.status == Status::Bad) {
    return core::Error(ErrorClass::Permanent, std::string(error_code::kBad),
                       fmt::format("the server rejected {} as invalid: {}", about, said));
  }
  return core::Error(ErrorClass::Permanent, std::string(error_code::kNo),
                     fmt::format("the server refused {}: {}", about, said));
}

bool refused_credentials(const core::Error& error) {
  return error.code() == error_code::kAuthenticationFailed ||
         error.code() == error_code::kCredentialsExpired || error.code() == error_code::kNo;
}

}  // namespace mailoauth::imap
