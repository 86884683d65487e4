// The catalogue itself. Wording rules, as for the OAuth catalogue: `meaning`
// says what the server decided in words an admin understands; `remedy` is the
// next action, naming the exact setting or command. Sources: FACTS.md section
// 3 (Exchange Online's replies and Microsoft's documentation of them), RFC 3463,
// RFC 4954, and Gmail's and Dovecot's replies as seen on the wire.
//
// Classes that differ from the reply's own (4xx Temporary, 5xx Permanent):
// - Temporary for a 5xx that only says "not now": Send As throttling (lifted
//   by itself once the cause is fixed) and the daily recipient quota (STOREDRV).
// - Config where the cause is how this side is set up and retrying unchanged
//   cannot help, but the mail must not bounce: a password where OAuth2 is
//   required (5.7.30, 5.7.139 Basic / security defaults), MAIL before AUTH or
//   without TLS (5.7.57, Gmail's 5.7.0 STARTTLS), and TLS older than 1.2
//   (4.7.66). The relay keeps such mail until an admin fixes the account.
// - Bug for Gmail's "command line too long": mailoauth must never send one.
#include "mailoauth/smtp/reply_catalogue.hpp"

#include <array>
#include <string>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::smtp {

namespace {

using core::ErrorClass;

constexpr std::string_view kUseOAuth2 =
    "use OAuth2 (XOAUTH2) for this account instead of a password: see docs/tokens.md for the "
    "Microsoft delegated and app-only setups";

constexpr std::string_view kSendAsRemedy =
    "send with From set to the signed-in mailbox, or let that mailbox send as the From address: "
    "Add-RecipientPermission -Identity FROM_ADDRESS -Trustee MAILBOX -AccessRights SendAs (it "
    "takes up to an hour)";

constexpr std::array<ReplyCatalogueEntry, 29> kEntries = {{
    // Exchange Online: 5.7.139 comes in several wordings; the specific ones first.
    {"client_auth_disabled_tenant", 535, "5.7.139",
     "SmtpClientAuthentication is disabled for the Tenant", ErrorClass::Permanent,
     "SMTP AUTH is turned off for the whole tenant; this blocks OAuth2 as well as passwords",
     "an Exchange admin turns it on for the tenant (Set-TransportConfig "
     "-SmtpClientAuthenticationDisabled $false) or for this mailbox only (Set-CASMailbox "
     "-Identity MAILBOX -SmtpClientAuthenticationDisabled $false); changes take up to an hour",
     // FACTS.md section 3; seed 004 (the FileMaker guide) quotes it whole.
     "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
     "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
     "[FR2P281CA0043.DEUP281.PROD.OUTLOOK.COM]"},
    {"client_auth_disabled_mailbox", 535, "5.7.139",
     "SmtpClientAuthentication is disabled for the Mailbox", ErrorClass::Permanent,
     "SMTP AUTH is turned off for this mailbox; this blocks OAuth2 as well as passwords",
     "an Exchange admin runs Set-CASMailbox -Identity MAILBOX -SmtpClientAuthenticationDisabled "
     "$false ($null makes the mailbox follow the tenant setting); changes take up to an hour",
     "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
     "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. "
     "[SN4PR0201CA0034.namprd02.prod.outlook.com]"},
    {"basic_auth_disabled", 0, "5.7.139", "basic authentication is disabled", ErrorClass::Config,
     "Exchange Online no longer accepts a password (Basic authentication) for SMTP AUTH",
     kUseOAuth2,
     "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
     "[BN9PR03CA0123.namprd03.prod.outlook.com]"},
    {"security_defaults", 0, "5.7.139", "security defaults", ErrorClass::Config,
     "the tenant's security defaults block signing in with a password for SMTP", kUseOAuth2,
     "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security "
     "defaults policy. Contact your administrator. [BN9PR03CA0123.namprd03.prod.outlook.com]"},
    {"tenant_policy", 0, "5.7.139", "", ErrorClass::Permanent,
     "Exchange Online refused the sign-in because of a tenant policy (SMTP AUTH off for the "
     "mailbox, Conditional Access, or security defaults)",
     "an Exchange admin checks Get-CASMailbox -Identity MAILBOX | fl "
     "SmtpClientAuthenticationDisabled and Get-TransportConfig | fl "
     "SmtpClientAuthenticationDisabled, and the Entra sign-in logs for the mailbox",
     "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
     "authenticated successfully. Contact your administrator. [BN9PR03CA0123]"},
    {"authentication_unsuccessful", 535, "5.7.3", "", ErrorClass::Permanent,
     "Exchange Online did not accept the token",
     "check the token (mailoauth token inspect ACCOUNT): audience https://outlook.office.com "
     "with scope SMTP.Send (delegated) or https://outlook.office365.com with role SMTP.SendAsApp "
     "(app-only); that the user is the mailbox itself; for app-only, that New-ServicePrincipal "
     "was given the object id of the ENTERPRISE APPLICATION and the service principal has "
     "FullAccess on the mailbox (or an RBAC scope); and that SMTP AUTH is on for the mailbox",
     // FACTS.md section 1 and 3; seed 004.
     "535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]"},
    // Exchange's receive side when a client skips STARTTLS. Its 5.7.3 does not
    // match the 451's class, so it is not read as an enhanced status (RFC 3463).
    {"starttls_required_exchange", 451, "", "STARTTLS is required", ErrorClass::Config,
     "the server requires STARTTLS before this command",
     "connect with STARTTLS (port 587, smtp_tls = \"starttls\") or implicit TLS (port 465)",
     "451 5.7.3 STARTTLS is required to send mail [SN4PR0601CA0002.namprd06.prod.outlook.com]"},
    {"client_not_authenticated", 0, "5.7.57", "", ErrorClass::Config,
     "the server wants the client to sign in before MAIL FROM, over TLS 1.2 or newer, and it "
     "did not",
     "configure authentication for this account and connect with STARTTLS (port 587) or "
     "implicit TLS",
     "530 5.7.57 Client not authenticated to send mail. [SN4PR0601CA0002]"},
    {"send_as_throttled", 550, "5.2.252", "throttled", ErrorClass::Temporary,
     "Exchange Online throttles this sender after repeated Send As refusals",
     "fix the From address or the Send As permission first, then wait: the block lifts by "
     "itself",
     "550 5.2.252 Sender throttled due to continuous send as denied errors."},
    {"send_as_denied", 0, "5.2.252", "SendAsDenied", ErrorClass::Permanent,
     "the signed-in mailbox may not send as the From address", kSendAsRemedy,
     "554 5.2.252 SendAsDenied; printer@contoso.com not allowed to send as ceo@contoso.com; "
     "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to "
     "process message due to a permanent exception with message Cannot submit message."},
    // The same refusal with the store's generic status: before submission_quota,
    // whose STOREDRV fragment it also carries, so it is not taken for a quota.
    {"send_as_denied_submission", 554, "5.2.0", "SendAsDenied", ErrorClass::Permanent,
     "the signed-in mailbox may not send as the From address", kSendAsRemedy,
     "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
     "Failed to process message due to a permanent exception with message Cannot submit "
     "message."},
    {"send_as_no_permission", 550, "5.7.60", "", ErrorClass::Permanent,
     "the signed-in mailbox may not send as the From address", kSendAsRemedy,
     "550 5.7.60 SMTP; Client does not have permissions to send as this sender"},
    {"concurrent_connections", 432, "4.3.2", "Concurrent connections", ErrorClass::Temporary,
     "more than 3 connections to Exchange Online for this mailbox at once",
     "use at most 3 connections per mailbox at a time; trying again later works",
     "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending "
     "for more information. [Hostname=SN4PR0601MB3712.namprd06.prod.outlook.com]"},
    {"tls_too_old", 421, "4.7.66", "", ErrorClass::Config,
     "the server accepts only TLS 1.2 or newer, and this connection used TLS 1.0 or 1.1",
     "use TLS 1.2 or newer: raise the minimum TLS version if it was lowered, and look for a "
     "proxy or firewall that intercepts TLS",
     "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support "
     "TLS 1.2. Visit https://aka.ms/smtp_auth_tls. [SN4PR0601CA0002]"},
    {"basic_auth_not_supported", 550, "5.7.30", "", ErrorClass::Config,
     "Exchange Online no longer accepts a password (Basic authentication) for SMTP AUTH",
     kUseOAuth2, "550 5.7.30 Basic authentication is not supported for Client Submission."},
    {"ip_not_accepted", 0, "5.7.708", "", ErrorClass::Permanent,
     "Exchange Online does not accept mail from this IP address (its reputation, or a new "
     "tenant's outbound limits)",
     "send from an address with a good reputation, or ask Microsoft support to review the "
     "tenant's outbound block",
     // learn.microsoft.com: "Fix email delivery issues for error codes 5.7.700 through 5.7.750".
     "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP."},
    {"unregistered_domain", 0, "5.7.750", "", ErrorClass::Permanent,
     "Exchange Online blocked this tenant from sending: it sent a lot of mail from domains that "
     "are not accepted domains of the tenant",
     "add and verify every sending domain as an accepted domain (Microsoft 365 admin center > "
     "Settings > Domains), then ask Microsoft support to lift the block",
     // learn.microsoft.com: "Fix email delivery issues for error codes 5.7.700 through 5.7.750".
     "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains."},
    {"bad_outbound_sender", 550, "5.1.8", "", ErrorClass::Permanent,
     "the sending mailbox is blocked from sending (a restricted user, usually after it sent "
     "spam)",
     "secure the account, then an admin releases it in the Microsoft Defender portal "
     "(Restricted entities)",
     "550 5.1.8 Access denied, bad outbound sender AS(42003)"},
    {"submission_quota", 554, "5.2.0", "STOREDRV", ErrorClass::Temporary,
     "Exchange Online's mailbox store refused the submission, most often because the mailbox "
     "passed its sending limits (10,000 recipients a day)",
     "wait for the 24-hour window to pass; spread bulk mail over several mailboxes or use "
     "Exchange's High Volume Email",
     "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to "
     "process message due to a permanent exception with message Cannot submit message."},
    {"mailbox_full", 554, "5.2.2", "", ErrorClass::Permanent,
     "the sender's mailbox is full, so the copy in Sent Items cannot be saved and the message "
     "is refused",
     "free space in the mailbox (Sent Items, Deleted Items) or raise its quota",
     "554 5.2.2 mailbox full; "
     "STOREDRV.Submission.Exception:QuotaExceededException.MapiExceptionQuotaExceeded"},
    // Gmail.
    {"line_too_long", 555, "5.5.2", "line too long", ErrorClass::Bug,
     "the server received a command line longer than it accepts (RFC 5321: 512 octets)",
     "report a mailoauth bug: an AUTH response that does not fit on the line must be sent in "
     "the two-step form",
     // FACTS.md section 1.
     "555-5.5.2 Syntax error, command line too long. For more information, go to"},
    {"starttls_required", 530, "5.7.0", "STARTTLS", ErrorClass::Config,
     "the server requires STARTTLS before this command",
     "connect with STARTTLS (port 587) or implicit TLS (port 465)",
     "530 5.7.0 Must issue a STARTTLS command first. d2e1a72fcca58 - gsmtp"},
    // Google's answers to a password where Google wants more; sources: Google's
    // "Gmail SMTP errors and codes" (support.google.com/a/answer/3726730) and
    // the support links these replies carry (?p=InvalidSecondFactor,
    // ?p=WebLoginRequired, ?p=BadCredentials).
    {"gmail_app_password_required", 534, "5.7.9", "Application-specific password required",
     ErrorClass::Config,
     "Google refused a password: the account has 2-Step Verification, so a plain password can "
     "no longer sign in over SMTP or IMAP",
     "use OAuth2 (XOAUTH2 with the scope https://mail.google.com/; docs/tokens.md), or an app "
     "password as a stopgap",
     "534-5.7.9 Application-specific password required. Learn more at"},
    {"gmail_web_login_required", 534, "5.7.14", "web browser", ErrorClass::Permanent,
     "Google blocked the sign-in as unusual and wants the user to sign in in a browser first",
     "sign in once at https://accounts.google.com from a browser (on the sending machine's "
     "network if possible), then use OAuth2 (docs/tokens.md) instead of a password",
     "534-5.7.14 Please log in with your web browser and then try again. Learn more at"},
    {"gmail_bad_credentials", 535, "", "Username and Password not accepted", ErrorClass::Permanent,
     "Google did not accept the credentials: with XOAUTH2, an expired or revoked token, a token "
     "without the scope https://mail.google.com/, or user= naming another account than the one "
     "that signed in; with a password, Google no longer takes one",
     "get a fresh token (mailoauth token get ACCOUNT), check its scope (mailoauth token inspect "
     "ACCOUNT) and that the account's mailbox is the Google account that signed in "
     "(mailoauth token login ACCOUNT again if not)",
     "535-5.7.8 Username and Password not accepted. For more information, go to"},
    {"gmail_too_many_logins", 454, "4.7.0", "Too many login attempts", ErrorClass::Temporary,
     "Google refuses sign-ins from this account or address for a while after too many attempts",
     "wait (the relay retries later) and look for another client signing in with wrong "
     "credentials",
     "454 4.7.0 Too many login attempts, please try again later. d2e1a72fcca58 - gsmtp"},
    // Gmail, Dovecot and most servers: authentication failed, no reason given.
    {"authentication_failed", 535, "5.7.8", "", ErrorClass::Permanent,
     "the server did not accept the credentials and does not say why (expired, revoked or "
     "wrong-scope token, another user's token, or a wrong password)",
     "get a fresh token (mailoauth token get ACCOUNT) and check its scope and user (mailoauth "
     "token inspect ACCOUNT); Gmail needs the scope https://mail.google.com/; on Dovecot the "
     "server's log tells the causes apart",
     // FACTS.md section 6: Dovecot's words for every refused token.
     "535 5.7.8 Authentication failed."},
    // Dovecot: per user and IP connection limit.
    {"too_many_connections", 421, "4.7.0", "Maximum number of connections", ErrorClass::Temporary,
     "the server limits connections per user and IP address (Dovecot: "
     "mail_max_userip_connections, 10 by default)",
     "use fewer connections at once, or raise the limit on the server",
     "421 4.7.0 mail.example.com Maximum number of connections from user+IP exceeded "
     "(mail_max_userip_connections=10)"},
    {"authentication_refused", 535, "", "", ErrorClass::Permanent,
     "the server did not accept the credentials",
     "get a fresh token (mailoauth token get ACCOUNT) and check its scope and user (mailoauth "
     "token inspect ACCOUNT)",
     "535 Authentication failed"},
}};

// The first line as the server sent it, made safe to show.
std::string quote_first_line(const Reply& reply) {
  constexpr std::size_t kLimit = 300;
  const std::string_view first = reply.lines.empty() ? std::string_view() : reply.lines.front();
  std::string line = fmt::format("{}{}{}", reply.code, first.empty() ? "" : " ",
                                 core::escape_control_characters(first.substr(0, kLimit)));
  if (first.size() > kLimit) line += "...";
  return line;
}

}  // namespace

const ReplyCatalogueEntry* find_reply_entry(const Reply& reply) {
  const std::string status =
      reply.enhanced_status ? reply.enhanced_status->to_string() : std::string();
  const std::string text = reply.text();
  for (const auto& entry : kEntries) {
    if (entry.code != 0 && entry.code != reply.code) continue;
    if (!entry.enhanced_status.empty() && entry.enhanced_status != status) continue;
    if (!core::icontains(text, entry.text_fragment)) continue;
    return &entry;
  }
  return nullptr;
}

std::span<const ReplyCatalogueEntry> reply_catalogue() {
  return kEntries;
}

core::Error explain_reply(const Reply& reply, std::string_view during) {
  std::string message = fmt::format("the SMTP server answered \"{}\"", quote_first_line(reply));
  if (reply.lines.size() > 1) message += fmt::format(" (first of {} lines)", reply.lines.size());
  if (!during.empty()) message += fmt::format(" during {}", during);

  if (const ReplyCatalogueEntry* entry = find_reply_entry(reply)) {
    message += fmt::format(": {}", entry->meaning);
    return core::Error(entry->error_class, fmt::format("smtp.{}", entry->name), std::move(message),
                       std::string(entry->remedy));
  }
  const std::string status = reply.enhanced_status
                                 ? fmt::format(" {}", reply.enhanced_status->to_string())
                                 : std::string();
  if (reply.is_transient()) {
    return core::Error(ErrorClass::Temporary, "smtp.temporary_reply",
                       message + ": a temporary refusal",
                       "try again later (the relay does so by itself); if it persists, the "
                       "server's text says why");
  }
  if (reply.is_permanent()) {
    return core::Error(ErrorClass::Permanent, "smtp.permanent_reply",
                       message + ": a permanent refusal",
                       fmt::format("the server's text says why; its code {}{} is explained in "
                                   "RFC 3463 and the provider's documentation",
                                   reply.code, status));
  }
  return core::Error(ErrorClass::Temporary, "smtp.unexpected_reply",
                     message + ": not an answer expected here",
                     "if the server is right to answer so, report a mailoauth bug");
}

}  // namespace mailoauth::smtp
