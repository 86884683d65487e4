// The SMTP reply catalogue: Exchange Online's, Gmail's and Dovecot's replies
// as they come off the wire, each to its entry, class and remedy; the order of
// the table (every entry reachable, the specific 5.7.139 wordings before the
// general one); and explain_reply's message: the server's first line quoted
// with control characters escaped, what we were doing, the meaning.
#include "mailoauth/smtp/reply_catalogue.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

using core::ErrorClass;

Reply parse(std::string_view bytes) {
  ReplyParser parser;
  auto reply = parser.feed(bytes);
  EXPECT_TRUE(reply.has_value() && reply->has_value()) << bytes;
  if (!reply || !*reply) return {};
  return std::move(**reply);
}

struct Case {
  std::string_view wire;
  std::string_view code;  // of the Error
  ErrorClass error_class;
  std::string_view remedy_fragment;
};

// The texts are Exchange Online's, Gmail's and Dovecot's as reported by their
// users and in FACTS.md section 3; the bracketed suffix is Exchange's server name.
constexpr Case kCases[] = {
    {"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
     "Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
     "[SN4PR0201CA0034.namprd02.prod.outlook.com]\r\n",
     "smtp.client_auth_disabled_tenant", ErrorClass::Permanent,
     "Set-TransportConfig -SmtpClientAuthenticationDisabled $false"},
    {"535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
     "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. "
     "[SN4PR0201CA0034.namprd02.prod.outlook.com]\r\n",
     "smtp.client_auth_disabled_mailbox", ErrorClass::Permanent,
     "Set-CASMailbox -Identity MAILBOX -SmtpClientAuthenticationDisabled $false"},
    {"535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
     "[BN9PR03CA0123.namprd03.prod.outlook.com]\r\n",
     "smtp.basic_auth_disabled", ErrorClass::Config, "XOAUTH2"},
    {"535 5.7.139 Authentication unsuccessful, user is locked by your organization's security "
     "defaults policy. Contact your administrator. [BN9PR03CA0123.namprd03.prod.outlook.com]\r\n",
     "smtp.security_defaults", ErrorClass::Config, "XOAUTH2"},
    {"535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be "
     "authenticated successfully. Contact your administrator. [BN9PR03CA0123]\r\n",
     "smtp.tenant_policy", ErrorClass::Permanent, "Get-CASMailbox"},
    {"535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]\r\n",
     "smtp.authentication_unsuccessful", ErrorClass::Permanent, "ENTERPRISE APPLICATION"},
    {"530 5.7.57 Client not authenticated to send mail. [SN4PR0601CA0002]\r\n",
     "smtp.client_not_authenticated", ErrorClass::Config, "STARTTLS"},
    {"530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM "
     "[SN4PR0601CA0002]\r\n",
     "smtp.client_not_authenticated", ErrorClass::Config, "STARTTLS"},
    {"554 5.2.252 SendAsDenied; printer@contoso.com not allowed to send as ceo@contoso.com; "
     "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to "
     "process message due to a permanent exception with message Cannot submit message.\r\n",
     "smtp.send_as_denied", ErrorClass::Permanent, "Add-RecipientPermission"},
    {"550 5.7.60 SMTP; Client does not have permissions to send as this sender\r\n",
     "smtp.send_as_no_permission", ErrorClass::Permanent, "Add-RecipientPermission"},
    {"550 5.2.252 Sender throttled due to continuous send as denied errors.\r\n",
     "smtp.send_as_throttled", ErrorClass::Temporary, "then wait"},
    {"432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending "
     "for more information. [Hostname=SN4PR0601MB3712.namprd06.prod.outlook.com]\r\n",
     "smtp.concurrent_connections", ErrorClass::Temporary, "at most 3 connections"},
    {"421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support "
     "TLS 1.2. Visit https://aka.ms/smtp_auth_tls. [SN4PR0601CA0002]\r\n",
     "smtp.tls_too_old", ErrorClass::Config, "TLS 1.2 or newer"},
    {"550 5.7.30 Basic authentication is not supported for Client Submission.\r\n",
     "smtp.basic_auth_not_supported", ErrorClass::Config, "XOAUTH2"},
    {"550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.\r\n",
     "smtp.ip_not_accepted", ErrorClass::Permanent, "reputation"},
    {"550 5.1.8 Access denied, bad outbound sender AS(42003)\r\n", "smtp.bad_outbound_sender",
     ErrorClass::Permanent, "Restricted entities"},
    {"554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process "
     "message due to a permanent exception with message Cannot submit message.\r\n",
     "smtp.submission_quota", ErrorClass::Temporary, "24-hour"},
    {"554 5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException."
     "MapiExceptionQuotaExceeded\r\n",
     "smtp.mailbox_full", ErrorClass::Permanent, "free space"},
    {"555-5.5.2 Syntax error, command line too long. For more information, go to\r\n"
     "555 5.5.2  https://support.google.com/a/answer/3221692 - gsmtp\r\n",
     "smtp.line_too_long", ErrorClass::Bug, "two-step form"},
    {"530 5.7.0 Must issue a STARTTLS command first. d2e1a72fcca58 - gsmtp\r\n",
     "smtp.starttls_required", ErrorClass::Config, "STARTTLS"},
    {"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
     "535 5.7.8  https://support.google.com/mail/?p=BadCredentials d2e1a72fcca58 - gsmtp\r\n",
     "smtp.gmail_bad_credentials", ErrorClass::Permanent, "mailoauth token get"},
    {"534-5.7.9 Application-specific password required. Learn more at\r\n"
     "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor - gsmtp\r\n",
     "smtp.gmail_app_password_required", ErrorClass::Config, "XOAUTH2"},
    {"554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
     "Failed to process message due to a permanent exception with message Cannot submit "
     "message.\r\n",
     "smtp.send_as_denied_submission", ErrorClass::Permanent, "Add-RecipientPermission"},
    {"535 5.7.8 Authentication failed.\r\n", "smtp.authentication_failed", ErrorClass::Permanent,
     "mailoauth token get"},
    {"421 4.7.0 mail.example.com Maximum number of connections from user+IP exceeded "
     "(mail_max_userip_connections=10)\r\n",
     "smtp.too_many_connections", ErrorClass::Temporary, "fewer connections"},
    {"535 Authentication failed\r\n", "smtp.authentication_refused", ErrorClass::Permanent,
     "mailoauth token get"},
};

TEST(ReplyCatalogueTest, RealRepliesFindTheirEntry) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(std::string(c.wire));
    const core::Error error = explain_reply(parse(c.wire), "AUTH XOAUTH2");
    EXPECT_EQ(error.code(), c.code);
    EXPECT_EQ(error.error_class(), c.error_class);
    EXPECT_NE(error.remedy().find(c.remedy_fragment), std::string::npos) << error.remedy();
  }
}

TEST(ReplyCatalogueTest, ExplainQuotesTheFirstLineAndSaysWhatWeWereDoing) {
  const core::Error error = explain_reply(
      parse(
          "535 5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]\r\n"),
      "AUTH XOAUTH2");
  EXPECT_EQ(error.message(),
            "the SMTP server answered \"535 5.7.3 Authentication unsuccessful "
            "[SN4PR0601CA0002.namprd06.prod.outlook.com]\" during AUTH XOAUTH2: Exchange Online "
            "did not accept the token");
  EXPECT_EQ(error.describe().substr(error.message().size(), 24), " (remedy: check the toke");

  const core::Error gmail = explain_reply(
      parse("535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
            "535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp\r\n"),
      "");
  EXPECT_EQ(gmail.message(),
            "the SMTP server answered \"535 5.7.8 Username and Password not accepted. For more "
            "information, go to\" (first of 2 lines): Google did not accept the credentials: with "
            "XOAUTH2, an expired or revoked token, a token without the scope "
            "https://mail.google.com/, or user= naming another account than the one that signed "
            "in; with a password, Google no longer takes one");
}

TEST(ReplyCatalogueTest, ControlCharactersAndLongLinesAreMadeSafe) {
  Reply reply;
  reply.code = 550;
  reply.lines = {std::string("bad\x1b[2Jterminal\tand\rcr\0nul", 26)};
  const core::Error error = explain_reply(reply, "RCPT TO");
  EXPECT_EQ(error.message(),
            "the SMTP server answered \"550 bad\\x1b[2Jterminal\\tand\\rcr\\x00nul\" during RCPT "
            "TO: a permanent refusal");
  reply.lines = {std::string(1000, 'a')};
  const core::Error long_line = explain_reply(reply, "DATA");
  EXPECT_NE(long_line.message().find(std::string(300, 'a') + "...\""), std::string::npos);
  EXPECT_EQ(long_line.message().find(std::string(301, 'a')), std::string::npos);
}

TEST(ReplyCatalogueTest, UnknownRepliesFollowTheirCode) {
  const core::Error later = explain_reply(parse("451 4.3.0 Try again later\r\n"), "DATA");
  EXPECT_EQ(later.code(), "smtp.temporary_reply");
  EXPECT_EQ(later.error_class(), ErrorClass::Temporary);
  EXPECT_EQ(later.message(),
            "the SMTP server answered \"451 4.3.0 Try again later\" during DATA: a temporary "
            "refusal");

  const core::Error never = explain_reply(parse("550 5.1.1 <nobody@example.com>: no such user\r\n"),
                                          "RCPT TO <nobody@example.com>");
  EXPECT_EQ(never.code(), "smtp.permanent_reply");
  EXPECT_EQ(never.error_class(), ErrorClass::Permanent);
  EXPECT_NE(never.remedy().find("550 5.1.1"), std::string::npos);

  const core::Error odd = explain_reply(parse("250 2.0.0 OK\r\n"), "DATA");
  EXPECT_EQ(odd.code(), "smtp.unexpected_reply");
  EXPECT_EQ(odd.error_class(), ErrorClass::Temporary);

  // A known status with a code the entry does not name falls through.
  EXPECT_EQ(
      explain_reply(parse("454 4.7.0 TLS not available due to local problem\r\n"), "AUTH").code(),
      "smtp.temporary_reply");
  // Text matching is case-insensitive.
  EXPECT_EQ(explain_reply(parse("535 5.7.139 SMTPCLIENTAUTHENTICATION IS DISABLED FOR THE "
                                "TENANT\r\n"),
                          "AUTH")
                .code(),
            "smtp.client_auth_disabled_tenant");
}

TEST(ReplyCatalogueTest, EveryEntryIsWellFormedAndReachable) {
  std::set<std::string_view> names;
  for (const ReplyCatalogueEntry& entry : reply_catalogue()) {
    SCOPED_TRACE(std::string(entry.name));
    EXPECT_TRUE(names.insert(entry.name).second) << "duplicate name";
    EXPECT_EQ(entry.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz_"), std::string::npos);
    EXPECT_FALSE(entry.meaning.empty());
    EXPECT_FALSE(entry.remedy.empty());
    // A reply made of the entry's own fields must find this entry, not an earlier one.
    const int status_class = entry.enhanced_status.empty() ? 0 : entry.enhanced_status[0] - '0';
    const int code = entry.code != 0 ? entry.code : status_class * 100 + 50;
    std::string wire = std::to_string(code) + " ";
    if (!entry.enhanced_status.empty()) wire += std::string(entry.enhanced_status) + " ";
    wire += "Reason: " + std::string(entry.text_fragment) + ".\r\n";
    const ReplyCatalogueEntry* found = find_reply_entry(parse(wire));
    ASSERT_NE(found, nullptr) << wire;
    EXPECT_EQ(found->name, entry.name) << wire;
  }
}

}  // namespace
}  // namespace mailoauth::smtp
