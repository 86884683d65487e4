// The table itself, moved out of send_mail.cpp so that it can be looked up
// without sending. Sources (the messages are Graph's own words):
//   errors          https://learn.microsoft.com/graph/errors
//   user-sendmail   https://learn.microsoft.com/graph/api/user-sendmail
//   throttling      https://learn.microsoft.com/graph/throttling-limits
//                   (Outlook: 4 concurrent requests, 10,000 per 10 minutes
//                   per app and mailbox; "MailboxConcurrency")
//   access policies https://learn.microsoft.com/graph/auth-limit-mailbox-access
// The remedies are ours. The examples are the messages as these pages and
// Graph users' reports show them, unless a comment says otherwise.
#include "mailoauth/graph/error_catalogue.hpp"

#include <array>

namespace mailoauth::graph {

namespace {

using core::ErrorClass;

constexpr std::string_view kAccessPolicyRemedy =
    "add the mailbox to the app's access policy (New-ApplicationAccessPolicy / "
    "Test-ApplicationAccessPolicy), or use RBAC for Applications";

constexpr std::string_view kNoMailboxRemedy =
    "check the mailbox (user principal name or object id): it must be a licensed Exchange "
    "Online mailbox in the token's tenant";

// The first row whose code, status and fragment match wins.
constexpr std::array<GraphErrorEntry, 16> kErrors{{
    // The application access policy (RAOP) refusal: 403 ErrorAccessDenied;
    // the message names the policy, but a bare 403 ErrorAccessDenied gets the
    // same advice among the others below.
    {"ErrorAccessDenied", 403, "AccessPolicy", ErrorClass::Permanent,
     "an application access policy of the tenant does not let this app use this mailbox",
     kAccessPolicyRemedy,
     "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy "
     "settings."},
    {"ErrorAccessDenied", 403, "RAOP", ErrorClass::Permanent,
     "an application access policy of the tenant does not let this app use this mailbox",
     kAccessPolicyRemedy, "[RAOP] Blocked by tenant configured AppOnly policy."},
    {"ErrorAccessDenied", 0, "", ErrorClass::Permanent,
     "the token does not allow sending as this mailbox (missing permission, an application "
     "access policy, or a mailbox the signed-in user may not send from)",
     kGraphAccessDeniedRemedy, "Access is denied. Check credentials and try again."},
    {"MailboxNotEnabledForRESTAPI", 0, "", ErrorClass::Permanent,
     "the mailbox cannot be used through Graph (on-premises, inactive, or not licensed)",
     "use a licensed Exchange Online mailbox, or send by SMTP",
     "The mailbox is either inactive, soft-deleted, or is hosted on-premise."},
    {"ErrorSendAsDenied", 0, "", ErrorClass::Permanent,
     "the From address differs from the mailbox and Send As is not granted",
     "grant Send As (Add-RecipientPermission) or send with From set to the mailbox",
     "The user account which was used to submit this request does not have the right to send "
     "mail on behalf of the specified sending account., Cannot submit message."},
    {"ErrorMimeContentInvalidBase64String", 0, "", ErrorClass::Bug,
     "Graph could not decode the message's base64", "report this: mailoauth sent bad base64",
     "Invalid base64 string for MIME content."},
    {"ErrorMimeContentInvalid", 0, "", ErrorClass::Permanent, "Graph could not parse the message",
     "check the message's headers (From, To, Date) and MIME structure",
     "The MIME content is invalid."},
    // Bad addresses are not refused here: they bounce after the 202. This is
    // the message with no recipient Graph can read.
    {"ErrorInvalidRecipients", 0, "", ErrorClass::Permanent,
     "the message has no recipients Graph can use (Graph takes them from the To, Cc and Bcc "
     "fields only)",
     "give the message a To, Cc or Bcc field, or give the recipients as the envelope (mailoauth "
     "writes those into Bcc); a wrong address does not cause this: it comes back as a "
     "non-delivery report after the 202",
     "At least one recipient is not valid., Recipient '' is not resolved. All recipients must "
     "be resolved before a message can be submitted."},
    {"ErrorMessageSizeExceeded", 0, "", ErrorClass::Permanent,
     "the message is larger than the mailbox or tenant allows",
     "send a smaller message or share large files by link",
     "The message exceeds the maximum supported size., Cannot save changes made to an item to "
     "store."},
    {"ErrorQuotaExceeded", 0, "", ErrorClass::Permanent,
     "the mailbox is full (Graph saves sent mail in Sent Items)", "free space in the mailbox",
     // The code is Graph's; this wording is not confirmed by a source.
     "The mailbox is over its quota."},
    {"InvalidAuthenticationToken", 0, "", ErrorClass::Permanent,
     "Graph refused the access token (expired, wrong audience or malformed)",
     "the token must be for this cloud's Graph (https://graph.microsoft.com, graph.microsoft.us, "
     "dod-graph.microsoft.us or microsoftgraph.chinacloudapi.cn: app-only scope "
     "<host>/.default, delegated Mail.Send); check with `mailoauth token inspect`; with "
     "transport = \"auto\", name a Graph account in graph_account (Microsoft gives one token per "
     "resource)",
     "Access token validation failure. Invalid audience."},
    // A mailbox that does not exist: 404 ErrorInvalidUser ("The requested user
    // 'x' is invalid.") or ResourceNotFound.
    {"ErrorInvalidUser", 0, "", ErrorClass::Permanent, "Graph knows no mailbox by this name",
     kNoMailboxRemedy, "The requested user 'nobody@contoso.com' is invalid."},
    {"ResourceNotFound", 404, "", ErrorClass::Permanent, "Graph knows no mailbox by this name",
     kNoMailboxRemedy, "Resource could not be discovered."},
    // The request over Graph's 4 MB (mailoauth refuses such a message before
    // sending; a proxy or a changed limit may still bring this back).
    {"RequestBodyTooLarge", 413, "", ErrorClass::Permanent,
     "the request is larger than Graph's sendMail takes (about 4 MB)",
     "mailoauth sends messages over about 4 MB through a draft and upload sessions, so "
     "something between it and Graph (a proxy) takes less than Graph: raise that limit, or send "
     "by SMTP (transport smtp)",
     "The maximum request length supported is 4MB."},
    {"ApplicationThrottled", 0, "MailboxConcurrency", ErrorClass::Temporary,
     "more than 4 requests for this mailbox at once from this app",
     "send with at most 4 connections per mailbox (the relay's per-mailbox slots); trying again "
     "later works",
     "Application is over its MailboxConcurrency limit."},
    {"ApplicationThrottled", 0, "", ErrorClass::Temporary, "Graph is throttling this app",
     "wait: Graph allows an app 4 concurrent requests and 10,000 per 10 minutes per mailbox",
     "Application is over its IncomingBytes limit."},
}};

}  // namespace

const GraphErrorEntry* find_graph_error(long status, std::string_view code,
                                        std::string_view message) {
  for (const auto& known : kErrors) {
    if (known.code != code || (known.status != 0 && known.status != status)) continue;
    if (!known.fragment.empty() && message.find(known.fragment) == std::string_view::npos) {
      continue;
    }
    return &known;
  }
  return nullptr;
}

std::span<const GraphErrorEntry> graph_error_catalogue() {
  return kErrors;
}

}  // namespace mailoauth::graph
