// The one gate every SMTP command line passes: user-supplied words checked by
// their grammar (EHLO name, addresses, ESMTP parameters), then the whole line
// (no control character, 512 octets). The issue 11 case — `--helo
// $'vm\r\nRSET'` — is refused with a Config error that shows the word escaped.
#include "mailoauth/smtp/command_line.hpp"

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

TEST(CommandLineTest, HeloWithALineBreakIsRefusedAndShownEscaped) {
  auto line = hello_command("EHLO", "vm\r\nRSET");
  ASSERT_FALSE(line.has_value());
  EXPECT_EQ(line.error().code(), "smtp.bad_helo_name");
  EXPECT_EQ(line.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(line.error().message().find("\"vm\\r\\nRSET\""), std::string::npos)
      << line.error().message();
  EXPECT_NE(line.error().message().find("a line break"), std::string::npos);
  EXPECT_NE(line.error().message().find("--helo"), std::string::npos);
}

TEST(CommandLineTest, HeloNamesAndAddressLiteralsPass) {
  for (const char* name : {"mail.example.com", "vm", "host-1.example", "WIN_PC.corp", "[192.0.2.1]",
                           "[IPv6:2001:db8::1]"}) {
    auto line = hello_command("EHLO", name);
    ASSERT_TRUE(line.has_value()) << name << ": " << line.error().describe();
    EXPECT_EQ(line->text(), std::string("EHLO ") + name);
    EXPECT_EQ(line->wire(), std::string("EHLO ") + name + "\r\n");
  }
}

TEST(CommandLineTest, HeloNamesOutsideTheGrammarAreRefused) {
  for (const char* name :
       {"", "two words", "a\tb", "semi;colon", "[192.0.2.1", "[1]2]", "caf\xc3\xa9"}) {
    auto line = hello_command("EHLO", name);
    EXPECT_FALSE(line.has_value()) << name;
  }
  EXPECT_FALSE(hello_command("EHLO", std::string(256, 'a')).has_value());
  EXPECT_FALSE(hello_command("EHLO", std::string_view("nul\0x", 5)).has_value());
}

TEST(CommandLineTest, AddressesThatWouldChangeTheCommandAreRefused) {
  for (const char* address : {"a@example.test>\r\nRCPT TO:<victim@example.test", "a b@example.test",
                              "<a@example.test>", "a@example.test\n", "a\x7f@example.test"}) {
    auto rcpt = rcpt_command(address, {});
    ASSERT_FALSE(rcpt.has_value()) << address;
    EXPECT_EQ(rcpt.error().code(), "smtp.bad_address");
    EXPECT_EQ(rcpt.error().error_class(), core::ErrorClass::Config);
    auto mail = mail_command(address, {});
    ASSERT_FALSE(mail.has_value()) << address;
    EXPECT_EQ(mail.error().code(), "smtp.bad_address");
  }
  EXPECT_EQ(rcpt_command("", {}).error().code(), "smtp.bad_address");
}

TEST(CommandLineTest, MailAndRcptLinesWithParameters) {
  const std::vector<std::string> parameters = {"SIZE=1234", "BODY=8BITMIME", "SMTPUTF8"};
  auto mail = mail_command("alice@example.test", parameters);
  ASSERT_TRUE(mail.has_value()) << mail.error().describe();
  EXPECT_EQ(mail->text(), "MAIL FROM:<alice@example.test> SIZE=1234 BODY=8BITMIME SMTPUTF8");
  auto bounce = mail_command("", {});
  ASSERT_TRUE(bounce.has_value());
  EXPECT_EQ(bounce->text(), "MAIL FROM:<>");
  auto utf8 = rcpt_command("jos\xc3\xa9@example.test", {});
  ASSERT_TRUE(utf8.has_value()) << "SMTPUTF8 addresses are allowed";
  auto dsn = rcpt_command("bob@example.test", std::vector<std::string>{"NOTIFY=SUCCESS,FAILURE"});
  ASSERT_TRUE(dsn.has_value()) << dsn.error().describe();
  EXPECT_EQ(dsn->text(), "RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE");
}

TEST(CommandLineTest, ParametersOutsideTheGrammarAreRefused) {
  for (const char* parameter : {"", "=x", "SIZE=", "SIZE=1 2", "RET=HDRS\r\nRSET", "A=b=c", "-X"}) {
    auto mail = mail_command("a@example.test", std::vector<std::string>{parameter});
    ASSERT_FALSE(mail.has_value()) << parameter;
    EXPECT_EQ(mail.error().code(), "smtp.bad_parameter") << parameter;
  }
}

TEST(CommandLineTest, TheWholeLineIsCheckedToo) {
  EXPECT_EQ(finish_command_line("NOOP\r\nRSET").error().code(), "smtp.bad_command_line");
  EXPECT_EQ(finish_command_line(std::string(511, 'x')).error().code(),
            "smtp.command_line_too_long");
  EXPECT_TRUE(finish_command_line(std::string(510, 'x')).has_value());
  auto long_address = rcpt_command(std::string(500, 'a') + "@example.test", {});
  ASSERT_FALSE(long_address.has_value());
  EXPECT_EQ(long_address.error().code(), "smtp.command_line_too_long");
}

TEST(CommandLineTest, FixedCommands) {
  EXPECT_EQ(simple_command(Verb::Data).text(), "DATA");
  EXPECT_EQ(simple_command(Verb::Rset).text(), "RSET");
  EXPECT_EQ(simple_command(Verb::Quit).text(), "QUIT");
  EXPECT_EQ(simple_command(Verb::StartTls).text(), "STARTTLS");
  EXPECT_EQ(simple_command(Verb::Noop).text(), "NOOP");
  EXPECT_EQ(bdat_command(65536, false).text(), "BDAT 65536");
  EXPECT_EQ(bdat_command(0, true).text(), "BDAT 0 LAST");
}

TEST(CommandLineTest, AuthLinesAreOneLineAndNeverQuoted) {
  EXPECT_TRUE(check_auth_line(core::Secret("AUTH XOAUTH2 dXNlcj1h\r\n")).has_value());
  EXPECT_TRUE(check_auth_line(core::Secret("\r\n")).has_value()) << "an empty response";
  auto injected = check_auth_line(core::Secret("AUTH PLAIN c2VjcmV0\r\nRSET\r\n"));
  ASSERT_FALSE(injected.has_value());
  EXPECT_EQ(injected.error().code(), "smtp.bad_command_line");
  EXPECT_EQ(injected.error().message().find("c2VjcmV0"), std::string::npos)
      << "the line must not be quoted";
  EXPECT_FALSE(check_auth_line(core::Secret("AUTH PLAIN x")).has_value()) << "no CRLF";
}

}  // namespace
}  // namespace mailoauth::smtp
