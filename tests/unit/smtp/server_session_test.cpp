// The server session's decisions as a conversation, reply by reply: a trusted
// printer's whole transaction; the open-relay cases (an untrusted client
// without AUTH, AUTH over clear text, a user sending as someone else's
// sender); AUTH PLAIN and LOGIN with every way to get them wrong; STARTTLS
// forgetting what came before; command order; the recipient, size and error
// limits; and the spool's refusals (a full disk) reaching the client as 452.
#include "mailoauth/smtp/server_session.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::smtp {
namespace {

ListenerFacts lan(bool trusted = true) {
  ListenerFacts facts;
  facts.hostname = "relay.lan";
  facts.tls_available = true;
  facts.auth_offered = true;
  facts.client_trusted = trusted;
  return facts;
}

// Routes: contoso.com's senders; the user "erp" only as erp@contoso.com.
RouteAnswer route(std::string_view user, std::string_view sender) {
  if (!user.empty() && user == "erp" && sender != "erp@contoso.com") {
    return {"", ServerReply(553, "5.7.1", "Sender address rejected: not owned by user erp")};
  }
  if (sender.ends_with("@contoso.com")) return {"contoso", std::nullopt};
  return {"", ServerReply(550, "5.7.1", "no route for this sender")};
}

class Conversation {
 public:
  explicit Conversation(ListenerFacts facts, SessionLimits limits = {})
      : session_(std::move(facts), limits, route) {
    last_ = session_.greeting();
  }
  // The replies to one line, rendered.
  std::string say(std::string line) {
    last_ = session_.on_line(CommandLine{
        .text = std::move(line), .too_long = false, .has_nul = false, .bare_lf = false});
    return rendered();
  }
  std::string rendered() const {
    std::string wire;
    for (const ServerReply& reply : last_.replies) wire += reply.render();
    return wire;
  }
  int code() const { return last_.replies.empty() ? 0 : last_.replies.front().code; }
  SessionStep& last() { return last_; }
  ServerSession& session() { return session_; }
  // Runs DATA through the spool's outcome to the final reply.
  std::string data(std::string queue_id = "1a2b-3c4d5e") {
    say("DATA");
    EXPECT_EQ(last_.then, Then::BeginMessage);
    last_ = session_.message_started(std::nullopt);
    EXPECT_EQ(rendered(), "354 End data with <CR><LF>.<CR><LF>\r\n");
    EXPECT_EQ(last_.then, Then::ReadContent);
    last_ = session_.message_finished(queue_id, std::nullopt);
    return rendered();
  }

 private:
  ServerSession session_;
  SessionStep last_;
};

std::string plain(std::string_view user, std::string_view password) {
  return core::base64::encode(std::string(1, '\0') + std::string(user) + '\0' +
                              std::string(password));
}

TEST(ServerSessionTest, TrustedPrinterSendsOneMessage) {
  Conversation c(lan());
  EXPECT_EQ(c.rendered(), "220 relay.lan ESMTP mailoauth\r\n");
  EXPECT_EQ(c.say("EHLO EPSON_1234"),
            "250-relay.lan\r\n250-PIPELINING\r\n250-SIZE 36700160\r\n250-8BITMIME\r\n"
            "250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250 STARTTLS\r\n");
  EXPECT_EQ(c.say("MAIL FROM:<scanner@contoso.com> SIZE=1000"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.say("RCPT TO:<alice@example.com>"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.say("RCPT TO:<bob@example.com>"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.session().transaction().route, "contoso");
  EXPECT_EQ(c.session().transaction().recipients.size(), 2u);
  EXPECT_EQ(c.data(), "250 2.0.0 Ok: queued as 1a2b-3c4d5e\r\n");
  EXPECT_TRUE(c.session().transaction().recipients.empty()) << "the transaction ended";
  EXPECT_EQ(c.say("QUIT"), "221 2.0.0 Bye\r\n");
  EXPECT_EQ(c.last().then, Then::Close);
}

TEST(ServerSessionTest, NeverAnOpenRelay) {
  Conversation c(lan(false));
  c.say("EHLO outsider");
  EXPECT_EQ(c.say("MAIL FROM:<x@contoso.com>"),
            "530 5.7.0 Must issue a STARTTLS command first\r\n");
  ListenerFacts no_auth = lan(false);
  no_auth.auth_offered = false;
  Conversation d(no_auth);
  d.say("EHLO outsider");
  EXPECT_EQ(d.code(), 250);
  EXPECT_EQ(d.say("MAIL FROM:<x@contoso.com>").substr(0, 33), "554 5.7.1 Relay access denied: th");
  EXPECT_EQ(d.say("RCPT TO:<y@example.com>"), "503 5.5.1 Error: need MAIL command\r\n");
}

TEST(ServerSessionTest, NoRouteIsRefusedAtMailFrom) {
  Conversation c(lan());
  c.say("EHLO printer");
  EXPECT_EQ(c.say("MAIL FROM:<x@fabrikam.com>"), "550 5.7.1 no route for this sender\r\n");
  EXPECT_EQ(c.say("RCPT TO:<y@example.com>").substr(0, 3), "503");
}

TEST(ServerSessionTest, AuthOnlyOverTlsUnlessAllowed) {
  Conversation c(lan(false));
  EXPECT_EQ(c.say("EHLO device").find("AUTH"), std::string::npos) << "not offered in clear";
  EXPECT_EQ(c.say("AUTH PLAIN " + plain("erp", "secret-password")),
            "538 5.7.11 Encryption required for requested authentication mechanism\r\n");
  ListenerFacts old_device = lan(false);
  old_device.plaintext_auth_allowed = true;
  Conversation d(old_device);
  EXPECT_NE(d.say("EHLO device").find("250 AUTH PLAIN LOGIN\r\n"), std::string::npos);
}

TEST(ServerSessionTest, AuthPlainThenSenderOwnership) {
  ListenerFacts facts = lan(false);
  facts.tls_active = true;
  Conversation c(facts);
  EXPECT_NE(c.say("EHLO device").find("AUTH PLAIN LOGIN"), std::string::npos);
  c.say("AUTH PLAIN " + plain("erp", "secret-password"));
  ASSERT_EQ(c.last().then, Then::VerifyPassword);
  EXPECT_EQ(c.last().user, "erp");
  ASSERT_TRUE(c.last().password);
  EXPECT_EQ(c.last().password->reveal(), "secret-password");
  EXPECT_TRUE(c.last().replies.empty());
  c.last() = c.session().password_checked(true);
  EXPECT_EQ(c.rendered(), "235 2.7.0 Authentication successful\r\n");
  EXPECT_EQ(c.session().user(), "erp");
  EXPECT_EQ(c.say("MAIL FROM:<ceo@contoso.com>"),
            "553 5.7.1 Sender address rejected: not owned by user erp\r\n");
  EXPECT_EQ(c.say("MAIL FROM:<erp@contoso.com>"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN " + plain("erp", "x")).substr(0, 3), "503");
}

TEST(ServerSessionTest, AuthLoginDialogueAndFailures) {
  ListenerFacts facts = lan(false);
  facts.tls_active = true;
  SessionLimits limits;
  limits.max_auth_failures = 2;
  Conversation c(facts, limits);
  c.say("EHLO device");
  EXPECT_EQ(c.say("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say(core::base64::encode("erp")), "334 UGFzc3dvcmQ6\r\n");
  c.say(core::base64::encode("wrong"));
  ASSERT_EQ(c.last().then, Then::VerifyPassword);
  EXPECT_EQ(c.last().user, "erp");
  c.last() = c.session().password_checked(false);
  EXPECT_EQ(c.rendered(), "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(c.session().user(), "");
  EXPECT_EQ(c.say("AUTH LOGIN"), "334 VXNlcm5hbWU6\r\n");
  EXPECT_EQ(c.say("*"), "501 5.7.0 Authentication aborted\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN"), "334 \r\n");
  EXPECT_EQ(c.say("not base64!"), "501 5.5.2 Cannot decode the response\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN " + core::base64::encode("no nul bytes")),
            "535 5.7.8 Authentication credentials invalid\r\n");
  EXPECT_EQ(c.say("AUTH PLAIN " + core::base64::encode(std::string("admin\0erp\0pw", 12))),
            "535 5.7.8 Authentication credentials invalid\r\n")
      << "acting as another user is refused";
  EXPECT_EQ(c.say("AUTH CRAM-MD5"), "504 5.5.4 Unrecognized authentication type\r\n");
  c.say("AUTH PLAIN " + plain("erp", "wrong-again"));
  c.last() = c.session().password_checked(false);
  EXPECT_EQ(c.rendered(),
            "535 5.7.8 Authentication credentials invalid\r\n"
            "421 4.7.0 relay.lan Error: too many failed logins\r\n");
  EXPECT_EQ(c.last().then, Then::Close);
}

TEST(ServerSessionTest, StartTlsForgetsEverything) {
  ListenerFacts facts = lan(false);
  Conversation c(facts);
  c.say("EHLO device");
  EXPECT_EQ(c.say("STARTTLS"), "220 2.0.0 Ready to start TLS\r\n");
  EXPECT_EQ(c.last().then, Then::StartTls);
  c.last() = c.session().tls_started();
  EXPECT_TRUE(c.session().tls_active());
  EXPECT_EQ(c.say("MAIL FROM:<x@contoso.com>"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  const std::string ehlo = c.say("EHLO device");
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  EXPECT_NE(ehlo.find("AUTH PLAIN LOGIN"), std::string::npos);
  EXPECT_EQ(c.say("STARTTLS"), "503 5.5.1 Error: TLS already active\r\n");
  ListenerFacts no_cert = lan();
  no_cert.tls_available = false;
  Conversation d(no_cert);
  d.say("EHLO x");
  EXPECT_EQ(d.say("STARTTLS"), "502 5.5.1 Error: command not implemented\r\n");
}

TEST(ServerSessionTest, CommandOrder) {
  Conversation c(lan());
  EXPECT_EQ(c.say("MAIL FROM:<x@contoso.com>"), "503 5.5.1 Error: send HELO/EHLO first\r\n");
  c.say("HELO printer");
  EXPECT_EQ(c.rendered(), "250 relay.lan\r\n");
  EXPECT_EQ(c.say("DATA"), "503 5.5.1 Error: need MAIL command\r\n");
  c.say("MAIL FROM:<x@contoso.com>");
  EXPECT_EQ(c.say("MAIL FROM:<x@contoso.com>"), "503 5.5.1 Error: nested MAIL command\r\n");
  EXPECT_EQ(c.say("DATA"), "503 5.5.1 Error: need RCPT command\r\n");
  EXPECT_EQ(c.say("RSET"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.say("RCPT TO:<y@example.com>"), "503 5.5.1 Error: need MAIL command\r\n");
  EXPECT_EQ(c.say("VRFY root").substr(0, 3), "252");
  EXPECT_EQ(c.say("NOOP"), "250 2.0.0 Ok\r\n");
  EXPECT_EQ(c.say("BDAT 10 LAST"), "502 5.5.1 Error: BDAT without CHUNKING\r\n");
}

TEST(ServerSessionTest, Limits) {
  SessionLimits limits;
  limits.max_recipients = 2;
  limits.max_message_size = 1000;
  limits.max_errors = 3;
  Conversation c(lan(), limits);
  c.say("EHLO printer");
  EXPECT_EQ(c.say("MAIL FROM:<x@contoso.com> SIZE=1001"),
            "552 5.3.4 Message size exceeds fixed limit\r\n");
  c.say("MAIL FROM:<x@contoso.com> SIZE=1000");
  c.say("RCPT TO:<a@example.com>");
  EXPECT_EQ(c.say("RCPT TO:<j\xc3\xb6rg@example.com>"),
            "553 5.6.7 Error: a UTF-8 address needs SMTPUTF8 at MAIL\r\n");
  c.say("RCPT TO:<b@example.com>");
  EXPECT_EQ(c.say("RCPT TO:<c@example.com>"), "452 4.5.3 Error: too many recipients\r\n");
  EXPECT_EQ(c.last().then, Then::Continue) << "three refusals are within the budget";
  EXPECT_EQ(c.say("EXPN staff"),
            "502 5.5.1 Error: EXPN is not implemented\r\n"
            "421 4.7.0 relay.lan Error: too many errors\r\n");
  EXPECT_EQ(c.last().then, Then::Close);
  EXPECT_EQ(c.say("NOOP").substr(0, 3), "421");
}

TEST(ServerSessionTest, LongLinesAndNulAreRefused) {
  Conversation c(lan());
  c.last() = c.session().on_line(
      CommandLine{.text = {}, .too_long = true, .has_nul = false, .bare_lf = false});
  EXPECT_EQ(c.rendered(), "500 5.5.2 Error: line too long\r\n");
  c.last() = c.session().on_line(CommandLine{
      .text = std::string("NO\0OP", 5), .too_long = false, .has_nul = true, .bare_lf = false});
  EXPECT_EQ(c.rendered(), "500 5.5.2 Error: NUL in the command\r\n");
}

TEST(ServerSessionTest, SpoolRefusalsReachTheClient) {
  Conversation c(lan());
  c.say("EHLO printer");
  c.say("MAIL FROM:<x@contoso.com>");
  c.say("RCPT TO:<a@example.com>");
  c.say("DATA");
  ASSERT_EQ(c.last().then, Then::BeginMessage);
  c.last() = c.session().message_started(ServerReply(452, "4.3.1", "Insufficient system storage"));
  EXPECT_EQ(c.rendered(), "452 4.3.1 Insufficient system storage\r\n");
  EXPECT_EQ(c.last().then, Then::Continue);
  EXPECT_EQ(c.say("RCPT TO:<a@example.com>").substr(0, 3), "503") << "the transaction is gone";
  c.say("MAIL FROM:<x@contoso.com>");
  c.say("RCPT TO:<a@example.com>");
  c.say("DATA");
  c.last() = c.session().message_started(std::nullopt);
  c.last() = c.session().message_finished(
      std::nullopt, ServerReply(552, "5.3.4", "Message size exceeds fixed limit"));
  EXPECT_EQ(c.rendered(), "552 5.3.4 Message size exceeds fixed limit\r\n");
  EXPECT_EQ(c.session().messages_accepted(), 0u);
}

TEST(ServerSessionTest, ChunkingWhenOffered) {
  ListenerFacts facts = lan();
  facts.chunking = true;
  Conversation c(facts);
  EXPECT_NE(c.say("EHLO x").find("250-CHUNKING\r\n"), std::string::npos);
  c.say("MAIL FROM:<x@contoso.com> BODY=BINARYMIME");
  c.say("RCPT TO:<a@example.com>");
  EXPECT_EQ(c.say("DATA"), "503 5.5.1 Error: BINARYMIME needs BDAT\r\n");
  c.say("BDAT 100");
  ASSERT_EQ(c.last().then, Then::BeginMessage);
  c.last() = c.session().message_started(std::nullopt);
  EXPECT_TRUE(c.last().replies.empty()) << "no 354 for BDAT";
  EXPECT_EQ(c.last().then, Then::ReadContent);
  c.last() = c.session().message_finished(std::nullopt, std::nullopt);
  EXPECT_EQ(c.rendered(), "250 2.0.0 Ok: chunk received\r\n");
  c.say("BDAT 0 LAST");
  EXPECT_EQ(c.last().then, Then::ReadContent);
  EXPECT_TRUE(c.last().chunk_last);
  c.last() = c.session().message_finished("abc-def", std::nullopt);
  EXPECT_EQ(c.rendered(), "250 2.0.0 Ok: queued as abc-def\r\n");
}

}  // namespace
}  // namespace mailoauth::smtp
