// Refusals as Dovecot, Gmail and Exchange Online word them, into codes and
// classes a plugin can act on, with the server's words kept.
#include "mailoauth/imap/command_error.hpp"

#include <gtest/gtest.h>

#include "mailoauth/imap/response_parser.hpp"

#include "parse_response.hpp"

namespace mailoauth::imap {
namespace {

using testing::parse;

TEST(CommandErrorTest, MissingMailboxByCodeOrByText) {
  for (std::string_view line :
       {"M4 NO [NONEXISTENT] Mailbox doesn't exist: Junk (0.001 + 0.000 secs).\r\n",
        "M4 NO [TRYCREATE] Mailbox doesn't exist: Junk\r\n",
        "M4 NO [NONEXISTENT] Unknown Mailbox: Junk (Failure)\r\n",  // Gmail
        "M4 NO Folder not found.\r\n"}) {
    const core::Error error = command_error("STATUS", parse(line), "Junk");
    EXPECT_EQ(error.code(), error_code::kMailboxNotFound) << line;
    EXPECT_EQ(error.error_class(), core::ErrorClass::Permanent);
    EXPECT_TRUE(
        error.message().starts_with("mailbox not found: \"Junk\" (the server answered "
                                    "STATUS with: NO"))
        << error.message();
  }
  // Without a mailbox, "not found" text is just a NO.
  EXPECT_EQ(command_error("FETCH", parse("M4 NO not found\r\n")).code(), error_code::kNo);
}

TEST(CommandErrorTest, AuthenticationCodes) {
  const core::Error failed = command_error(
      "AUTHENTICATE XOAUTH2", parse("M1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"));
  EXPECT_EQ(failed.code(), error_code::kAuthenticationFailed);
  EXPECT_EQ(failed.error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(failed.message().find("NO [AUTHENTICATIONFAILED] Authentication failed."),
            std::string::npos);
  EXPECT_FALSE(failed.remedy().empty());
  EXPECT_EQ(command_error("LOGIN", parse("M1 NO [PRIVACYREQUIRED] TLS first\r\n")).error_class(),
            core::ErrorClass::Config);
  EXPECT_EQ(command_error("LOGIN", parse("M1 NO [UNAVAILABLE] backend down\r\n")).error_class(),
            core::ErrorClass::Temporary);
  // Exchange Online: no code at all, known by its text (FACTS.md section 3).
  const core::Error exchange =
      command_error("AUTHENTICATE XOAUTH2", parse("M1 NO AUTHENTICATE failed.\r\n"));
  EXPECT_EQ(exchange.code(), error_code::kAuthenticationFailed);
  EXPECT_NE(exchange.remedy().find("ENTERPRISE APPLICATION"), std::string::npos);
  EXPECT_TRUE(refused_credentials(exchange));
}

TEST(CommandErrorTest, AuthenticatedButNotConnectedIsExplained) {
  const core::Error error =
      command_error("CAPABILITY", parse("M2 BAD User is authenticated but not connected.\r\n"));
  EXPECT_EQ(error.code(), error_code::kAuthenticatedNotConnected);
  EXPECT_EQ(error.error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(error.remedy().find("FullAccess"), std::string::npos);
}

TEST(CommandErrorTest, ByeBadAndEscaping) {
  const core::Error bye = command_error("STATUS", parse("* BYE Server shutting down.\r\n"));
  EXPECT_EQ(bye.code(), error_code::kBye);
  EXPECT_EQ(bye.error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(command_error("UID SEARCH", parse("M5 BAD Error in IMAP command\r\n")).code(),
            error_code::kBad);
  // A control character from the server cannot forge a log line.
  const core::Error escaped = command_error("STATUS", parse("M5 NO a\x1b[31mb\r\n"), "In\nbox");
  EXPECT_EQ(escaped.message().find('\x1b'), std::string::npos) << escaped.message();
  EXPECT_EQ(escaped.message().find('\n'), std::string::npos) << escaped.message();
  EXPECT_EQ(server_words(parse("M6 NO [OVERQUOTA] Quota exceeded\r\n")),
            "NO [OVERQUOTA] Quota exceeded");
}

// What renew_once may renew a token for: a refusal of the credentials, not
// a server going away or an identity that cannot open the mailbox.
TEST(CommandErrorTest, RefusedCredentialsAreOnlyTheRefusalsARenewedTokenCanFix) {
  const auto refused = [](const char* line) {
    return refused_credentials(command_error("AUTHENTICATE XOAUTH2", parse(line)));
  };
  EXPECT_TRUE(refused("M1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"));  // Dovecot
  EXPECT_TRUE(refused("M1 NO [EXPIRED] Token expired\r\n"));
  EXPECT_TRUE(refused("M1 NO AUTHENTICATE failed.\r\n"));  // Exchange Online
  EXPECT_FALSE(refused("M1 NO [AUTHORIZATIONFAILED] Not allowed to act as that user\r\n"));
  EXPECT_FALSE(refused("M1 NO [UNAVAILABLE] Try later\r\n"));
  EXPECT_FALSE(refused("* BYE Server shutting down.\r\n"));
  EXPECT_FALSE(refused("M1 BAD User is authenticated but not connected.\r\n"));
}

}  // namespace
}  // namespace mailoauth::imap
