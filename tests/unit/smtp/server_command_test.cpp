// The relay's SMTP command grammar: every verb, the paths legacy devices send
// (with and without brackets, a space after the colon, source routes,
// Postmaster, quoted local parts, UTF-8 with SMTPUTF8), each ESMTP parameter
// and its refusals, the RFC 5321 length limits at their edges, and replies
// that never echo a control character back.
#include "mailoauth/smtp/server_command.hpp"

#include <string>

#include <gtest/gtest.h>

namespace mailoauth::smtp {
namespace {

Command accepted(std::string_view line) {
  auto command = parse_command(line);
  EXPECT_TRUE(command) << line << " -> " << (command ? "" : command.error().render());
  return command ? std::move(*command) : Command();
}

ServerReply refused(std::string_view line) {
  auto command = parse_command(line);
  EXPECT_FALSE(command) << line << " was accepted";
  return command ? ServerReply() : command.error();
}

TEST(ServerCommandTest, VerbsAreCaseInsensitive) {
  EXPECT_EQ(accepted("ehlo printer.lan").verb, Verb::Ehlo);
  EXPECT_EQ(accepted("Quit").verb, Verb::Quit);
  EXPECT_EQ(accepted("STARTTLS").verb, Verb::StartTls);
  EXPECT_EQ(refused("XYZZY").code, 500);
  EXPECT_EQ(refused("").code, 500);
}

TEST(ServerCommandTest, EhloTakesAnyPrintableName) {
  EXPECT_EQ(accepted("EHLO EPSON_1234").argument, "EPSON_1234");
  EXPECT_EQ(accepted("HELO [192.0.2.1]").argument, "[192.0.2.1]");
  EXPECT_EQ(refused("EHLO").render(), "501 5.5.2 Syntax: EHLO hostname\r\n");
  EXPECT_EQ(refused("EHLO two words").code, 501);
  EXPECT_EQ(refused("EHLO " + std::string(256, 'a')).code, 501);
}

TEST(ServerCommandTest, MailFromForms) {
  EXPECT_EQ(accepted("MAIL FROM:<scanner@example.com>").address, "scanner@example.com");
  EXPECT_EQ(accepted("MAIL FROM: <scanner@example.com>").address, "scanner@example.com");
  EXPECT_EQ(accepted("mail from:scanner@example.com").address, "scanner@example.com");
  EXPECT_EQ(accepted("MAIL FROM:<@relay.example,@b.example:x@example.com>").address,
            "x@example.com");
  EXPECT_EQ(accepted("MAIL FROM:<\"john doe\"@example.com>").address, "\"john doe\"@example.com");
  const Command null_sender = accepted("MAIL FROM:<>");
  EXPECT_EQ(null_sender.verb, Verb::Mail);
  EXPECT_EQ(null_sender.address, "");
}

TEST(ServerCommandTest, BadPathsAreRefusedWithoutEchoingControls) {
  EXPECT_EQ(refused("MAIL FROM:<a b@example.com>").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@example..com>").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@-example.com>").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<.a@example.com>").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@example.com").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@example.com>junk").code, 501);
  EXPECT_EQ(refused("MAIL TO:<a@example.com>").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<noatsign>").code, 501);
  EXPECT_EQ(refused("RCPT TO:<>").render(), "501 5.1.3 Error: empty address\r\n");
  const ServerReply escaped = refused("MAIL FROM:<a\x01@example.com>");
  EXPECT_EQ(escaped.render().find('\x01'), std::string::npos);
  EXPECT_EQ(refused("MAIL FROM:<a@b>\r").code, 501);
  EXPECT_EQ(refused(std::string("MAIL FROM:<a@b>\0", 16)).code, 501);
}

// Found by fuzzing (tests/fuzz/corpus/smtp_server_command/regression-*): an
// address-literal took angle brackets, so an accepted address could not be
// written between < and > again.
TEST(ServerCommandTest, AddressLiteralsHoldNoAngleBrackets) {
  EXPECT_EQ(accepted("RCPT TO:<a@[192.0.2.1]>").address, "a@[192.0.2.1]");
  EXPECT_EQ(accepted("RCPT TO:<a@[IPv6:2001:db8::1]>").address, "a@[IPv6:2001:db8::1]");
  EXPECT_EQ(refused("RCPT TO:<\"x y\"@[<Po4.0.2.1]>").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@[<192.0.2.1]>").code, 501);
  EXPECT_EQ(refused("RCPT TO:a@[192.0.2.1>]").code, 501);
}

TEST(ServerCommandTest, PathLengthLimits) {
  const std::string local64(64, 'l');
  EXPECT_EQ(accepted("RCPT TO:<" + local64 + "@example.com>").verb, Verb::Rcpt);
  EXPECT_EQ(refused("RCPT TO:<" + local64 + "l@example.com>").code, 501);
  // 256 octets with the brackets is the limit (RFC 5321 4.5.3.1.3).
  const std::string label(62, 'd');
  const std::string domain = label + "." + label + "." + label + "." + label + "d";
  const std::string address = "x@" + domain;
  ASSERT_EQ(address.size(), 254u);
  EXPECT_EQ(accepted("RCPT TO:<" + address + ">").address, address);
  EXPECT_EQ(refused("RCPT TO:<y" + address + ">").render(),
            "501 5.1.3 Error: address too long\r\n");
}

TEST(ServerCommandTest, PostmasterWithoutDomain) {
  EXPECT_EQ(accepted("RCPT TO:<Postmaster>").address, "postmaster");
  EXPECT_EQ(refused("MAIL FROM:<Postmaster>").code, 501);
}

TEST(ServerCommandTest, Utf8AddressesAreMarked) {
  const Command command = accepted(
      "MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc"
      "cher.example> SMTPUTF8");
  EXPECT_FALSE(command.address_is_ascii);
  EXPECT_TRUE(command.mail.smtputf8);
  EXPECT_TRUE(accepted("MAIL FROM:<a@b.example>").address_is_ascii);
  EXPECT_EQ(refused("MAIL FROM:<j\xc3@b.example>").code, 501) << "broken UTF-8";
  EXPECT_EQ(refused("MAIL FROM:<j\xed\xa0\x80@b.example>").code, 501) << "a surrogate";
}

TEST(ServerCommandTest, MailParameters) {
  const Command command =
      accepted("MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME AUTH=<> smtputf8");
  EXPECT_EQ(command.mail.size, 12345u);
  EXPECT_EQ(command.mail.body, BodyType::EightBitMime);
  EXPECT_TRUE(command.mail.smtputf8);
  EXPECT_EQ(command.mail.auth, "<>");
  EXPECT_EQ(accepted("MAIL FROM:<a@b.example> BODY=binarymime").mail.body, BodyType::BinaryMime);
  EXPECT_EQ(refused("MAIL FROM:<a@b.example> SIZE=abc").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@b.example> SIZE=99999999999999999999999").code, 501);
  EXPECT_EQ(refused("MAIL FROM:<a@b.example> SIZE=1 SIZE=2").render(),
            "501 5.5.2 Duplicate parameter: SIZE\r\n");
  EXPECT_EQ(refused("MAIL FROM:<a@b.example> BODY=9BIT").code, 555);
  EXPECT_EQ(refused("MAIL FROM:<a@b.example> RET=HDRS").render(),
            "555 5.5.4 Unsupported option: RET\r\n");
  EXPECT_EQ(refused("RCPT TO:<a@b.example> NOTIFY=NEVER").code, 555);
  EXPECT_EQ(refused("MAIL FROM:<a@b.example> =x").code, 501);
}

TEST(ServerCommandTest, AuthKeepsTheInitialResponseSecret) {
  const Command command = accepted("AUTH plain AHVzZXIAcGFzcw==");
  EXPECT_EQ(command.argument, "PLAIN");
  ASSERT_TRUE(command.initial_response);
  EXPECT_EQ(command.initial_response->reveal(), "AHVzZXIAcGFzcw==");
  EXPECT_FALSE(accepted("AUTH LOGIN").initial_response);
  EXPECT_EQ(refused("AUTH").code, 501);
  EXPECT_EQ(refused("AUTH PLAIN a b").code, 501);
  EXPECT_EQ(refused("AUTH PL@IN").code, 501);
}

TEST(ServerCommandTest, Bdat) {
  const Command chunk = accepted("BDAT 1000");
  EXPECT_EQ(chunk.chunk_size, 1000u);
  EXPECT_FALSE(chunk.last_chunk);
  const Command last = accepted("bdat 0 last");
  EXPECT_EQ(last.chunk_size, 0u);
  EXPECT_TRUE(last.last_chunk);
  EXPECT_EQ(refused("BDAT").code, 501);
  EXPECT_EQ(refused("BDAT -1").code, 501);
  EXPECT_EQ(refused("BDAT 10 FIRST").code, 501);
}

TEST(ServerCommandTest, CommandsWithoutArguments) {
  EXPECT_EQ(accepted("DATA").verb, Verb::Data);
  EXPECT_EQ(refused("DATA now").render(), "501 5.5.4 Syntax: DATA\r\n");
  EXPECT_EQ(refused("RSET x").code, 501);
  EXPECT_EQ(accepted("NOOP anything goes").argument, "anything goes");
}

TEST(ServerCommandTest, ValidMailboxForConfiguration) {
  EXPECT_TRUE(is_valid_mailbox("printer@contoso.com"));
  EXPECT_FALSE(is_valid_mailbox("printer"));
  EXPECT_FALSE(is_valid_mailbox("a@b@c"));
  EXPECT_FALSE(is_valid_mailbox("a@"));
}

TEST(ServerReplyTest, RenderMultiline) {
  ServerReply ehlo(250, "", "relay.example");
  ehlo.lines.push_back("PIPELINING");
  ehlo.lines.push_back("SIZE 1000");
  EXPECT_EQ(ehlo.render(), "250-relay.example\r\n250-PIPELINING\r\n250 SIZE 1000\r\n");
  EXPECT_EQ(ServerReply(550, "5.7.1", "no\r\n250 ok").render(), "550 5.7.1 no??250 ok\r\n");
}

}  // namespace
}  // namespace mailoauth::smtp
