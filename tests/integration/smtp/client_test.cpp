// The SMTP client against the real Dovecot submission server of the stack
// (STARTTLS, then relayed through Postfix and LMTP into the mailbox) and
// against local peers that misbehave on purpose. Delivered messages are read
// back over IMAPS (raw commands on net::Stream, so this test does not depend
// on the IMAP client) and checked header by header. Every wait is bounded.
#include "mailoauth/smtp/client.hpp"

#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/smtp/submit.hpp"

#include "../local_peer.hpp"
#include "../stack_env.hpp"
#include "smtp_test_support.hpp"

namespace mailoauth::smtp {
namespace {

using namespace std::chrono_literals;
using namespace test_support;
using testing::LocalPeer;
using testing::StackEnv;

// --- against Dovecot submission --------------------------------------------

TEST(SmtpClientTest, Xoauth2AfterStartTlsDeliversABuiltMessage) {
  const auto& env = StackEnv::get();
  const std::string marker = unique_marker();
  mime::MessageDraft draft;
  draft.from = {"Alice Ä", env["USER1"]};
  draft.to = {{"Alice", env["USER1"]}};
  draft.bcc = {{"Bob", env["USER2"]}};
  draft.subject = "Grüße " + marker;
  draft.text_body = "Zeile eins\n.Punkt am Anfang\n..zwei Punkte\nEnde\n";
  auto built = mime::build_message(draft);
  ASSERT_TRUE(built.has_value()) << built.error().describe();
  Outgoing outgoing{
      {built->envelope_from, built->recipients, built->needs_8bitmime, built->needs_smtputf8},
      built->data,
      {}};

  std::vector<Outgoing> messages;
  messages.push_back(std::move(outgoing));
  auto result = submit(stack_settings(), token_auth(sasl::Mechanism::XOAuth2), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
  EXPECT_TRUE(result->encrypted);
  EXPECT_EQ(result->mechanism, sasl::Mechanism::XOAuth2);
  ASSERT_EQ(result->reports.size(), 1u);
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  const SendReport& report = *result->reports[0];
  EXPECT_TRUE(report.outcome().has_value()) << trace_text();
  EXPECT_EQ(report.accepted_count(), 2u);
  EXPECT_FALSE(report.queue_id.empty()) << report.data_reply->text();

  // The dialogue: STARTTLS, EHLO again, the token redacted.
  const std::string dialogue = trace_text();
  EXPECT_NE(dialogue.find("C: STARTTLS"), std::string::npos) << dialogue;
  EXPECT_EQ(std::count(g_trace.begin(), g_trace.end(), "C: EHLO client.mailoauth-test.example"), 2)
      << dialogue;
  EXPECT_NE(dialogue.find("C: AUTH XOAUTH2 <redacted"), std::string::npos) << dialogue;
  EXPECT_NE(dialogue.find("S: 235 "), std::string::npos) << dialogue;

  // In both mailboxes; Bcc nowhere in the headers; the dot lines intact.
  const std::string at_alice = alice_message(marker);
  ASSERT_FALSE(at_alice.empty()) << "not delivered to alice";
  EXPECT_NE(at_alice.find("Subject: =?UTF-8?"), std::string::npos) << at_alice;
  EXPECT_EQ(at_alice.find("Bcc"), std::string::npos) << at_alice;
  EXPECT_EQ(at_alice.find(env["USER2"]), std::string::npos) << "Bob's address leaked: " << at_alice;
  const std::string at_bob = wait_for_message(env["USER2"], env["USER2_PASSWORD"], marker);
  ASSERT_FALSE(at_bob.empty()) << "the Bcc recipient got nothing";
  EXPECT_EQ(at_bob.find("Bcc"), std::string::npos) << at_bob;
}

TEST(SmtpClientTest, OauthBearerAndDotStuffingRoundTrip) {
  const std::string marker = unique_marker();
  std::vector<Outgoing> messages;
  messages.push_back(simple_message(marker, {StackEnv::get()["USER1"]},
                                    ".\r\n..\r\n.leading dot\r\nlast line without newline"));
  auto result =
      submit(stack_settings(), token_auth(sasl::Mechanism::OAuthBearer), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
  EXPECT_EQ(result->mechanism, sasl::Mechanism::OAuthBearer);
  ASSERT_TRUE(result->reports[0].has_value());
  EXPECT_TRUE(result->reports[0]->delivered()) << trace_text();
  const std::string message = alice_message(marker);
  EXPECT_NE(message.find("\r\n\r\n.\r\n..\r\n.leading dot\r\nlast line without newline"),
            std::string::npos)
      << message;
}

TEST(SmtpClientTest, PlainAndLoginWithTheBasicPassword) {
  for (sasl::Mechanism mechanism : {sasl::Mechanism::Plain, sasl::Mechanism::Login}) {
    const std::string marker = unique_marker();
    std::vector<Outgoing> messages;
    messages.push_back(simple_message(marker, {StackEnv::get()["USER1"]}));
    auto result = submit(stack_settings(), password_auth(mechanism), std::move(messages));
    ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
    EXPECT_EQ(result->mechanism, mechanism);
    ASSERT_TRUE(result->reports[0].has_value());
    EXPECT_TRUE(result->reports[0]->delivered());
    EXPECT_EQ(trace_text().find(StackEnv::get()["USER1_PASSWORD"]), std::string::npos)
        << "the password is in the trace";
    EXPECT_FALSE(alice_message(marker).empty());
  }
}

TEST(SmtpClientTest, WrongPasswordIs535Permanent) {
  SubmitAuth auth = password_auth(sasl::Mechanism::Plain);
  auth.secret = [](bool) -> core::Result<core::Secret> { return core::Secret("not-the-password"); };
  auto result = submit(stack_settings(), std::move(auth), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(result.error().message().find("535"), std::string::npos) << result.error().describe();
}

TEST(SmtpClientTest, BadTokenAnswersTheFailureChallengeAndEndsIn535) {
  for (sasl::Mechanism mechanism : {sasl::Mechanism::XOAuth2, sasl::Mechanism::OAuthBearer}) {
    SubmitAuth auth = token_auth(mechanism);
    int asked = 0;
    auth.secret = [&asked](bool) -> core::Result<core::Secret> {
      ++asked;
      return core::Secret("garbage-token-the-server-does-not-know");
    };
    const auto started = std::chrono::steady_clock::now();
    auto result = submit(stack_settings(), std::move(auth), {});
    EXPECT_LT(std::chrono::steady_clock::now() - started, 20s) << "the failure hung";
    ASSERT_FALSE(result.has_value()) << trace_text();
    EXPECT_EQ(result.error().error_class(), core::ErrorClass::Permanent);
    EXPECT_NE(result.error().message().find("535"), std::string::npos)
        << result.error().describe() << "\n"
        << trace_text();
    EXPECT_EQ(asked, 2) << "a refused token is renewed once, then given up";
    // The failure challenge (334 + JSON) was answered, not left hanging.
    EXPECT_NE(trace_text().find("S: 334 "), std::string::npos) << trace_text();
  }
}

// Sends one message with `first` refused by the server and a fresh token on
// renewal; the message must go through on the renewed token.
void expect_delivery_after_renewal(sasl::Mechanism mechanism, core::Secret first,
                                   std::string renew_prefix) {
  auto refused = std::make_shared<core::Secret>(std::move(first));
  SubmitAuth auth = token_auth(mechanism);
  auth.secret = [refused, renew_prefix](bool renew) -> core::Result<core::Secret> {
    if (!renew) return refused->clone();
    return cc_token(renew_prefix);
  };
  const std::string marker = unique_marker();
  std::vector<Outgoing> messages;
  messages.push_back(simple_message(marker, {StackEnv::get()["USER1"]}));
  auto result = submit(stack_settings(), std::move(auth), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
  EXPECT_TRUE(result->token_renewed);
  // The first token was refused with a 535 after the failure challenge.
  EXPECT_NE(trace_text().find("S: 535 "), std::string::npos) << trace_text();
  ASSERT_TRUE(result->reports[0].has_value());
  EXPECT_TRUE(result->reports[0]->delivered());
}

TEST(SmtpClientTest, ExpiredTokenIsRefusedThenRenewed) {
  core::Secret expired = cc_token("CC_SHORT");
  std::this_thread::sleep_for(
      std::chrono::seconds(std::stoi(StackEnv::get()["CC_SHORT_TOKEN_TTL"]) + 1));
  expect_delivery_after_renewal(sasl::Mechanism::OAuthBearer, std::move(expired), "CC_SHORT");
}

TEST(SmtpClientTest, RevokedTokenIsRenewedOnce) {
  expect_delivery_after_renewal(sasl::Mechanism::XOAuth2, core::Secret("revoked-token"), "CC");
}

TEST(SmtpClientTest, ResponseLongerThanTheCommandLineTakesTwoSteps) {
  SubmitAuth auth = token_auth(sasl::Mechanism::XOAuth2);
  auth.secret = [](bool) -> core::Result<core::Secret> {
    return core::Secret(std::string(600, 'x'));  // refused, but it shows the framing
  };
  auto result = submit(stack_settings(), std::move(auth), {});
  ASSERT_FALSE(result.has_value());
  auto first_auth = std::find_if(g_trace.begin(), g_trace.end(),
                                 [](const std::string& l) { return l.starts_with("C: AUTH"); });
  ASSERT_NE(first_auth, g_trace.end()) << trace_text();
  EXPECT_EQ(*first_auth, "C: AUTH XOAUTH2") << trace_text();
  EXPECT_EQ(*std::next(first_auth), "S: 334 ") << trace_text();
  EXPECT_NE(result.error().message().find("535"), std::string::npos) << trace_text();
}

TEST(SmtpClientTest, PipelinedRecipientsWithOneRefused) {
  const auto& env = StackEnv::get();
  const std::string marker = unique_marker();
  std::vector<Outgoing> messages;
  messages.push_back(
      simple_message(marker, {env["USER1"], env["REFUSED_RECIPIENT"], env["USER2"]}));
  auto result = submit(stack_settings(), token_auth(sasl::Mechanism::XOAuth2), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  ASSERT_TRUE(result->capabilities.has("PIPELINING"));
  const SendReport& report = *result->reports[0];
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_TRUE(report.recipients[0].accepted());
  EXPECT_FALSE(report.recipients[1].accepted());
  EXPECT_EQ(report.recipients[1].reply.code, 550);
  ASSERT_TRUE(report.recipients[1].reply.enhanced_status.has_value());
  EXPECT_EQ(report.recipients[1].reply.enhanced_status->to_string(), "5.1.1");
  EXPECT_TRUE(report.recipients[2].accepted());
  EXPECT_TRUE(report.delivered());
  EXPECT_TRUE(report.outcome().has_value());
  EXPECT_FALSE(alice_message(marker).empty());
}

TEST(SmtpClientTest, AllRecipientsRefusedIsReportedAndTheSessionGoesOn) {
  const auto& env = StackEnv::get();
  const std::string marker = unique_marker();
  std::vector<Outgoing> messages;
  messages.push_back(simple_message(marker + "a", {env["REFUSED_RECIPIENT"]}));
  messages.push_back(simple_message(marker + "b", {env["USER1"]}));
  auto result = submit(stack_settings(), token_auth(sasl::Mechanism::XOAuth2), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  ASSERT_EQ(result->reports.size(), 2u);
  auto first = result->reports[0]->outcome();
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(first.error().message().find("refused@"), std::string::npos)
      << first.error().describe();
  EXPECT_NE(trace_text().find("C: RSET"), std::string::npos) << trace_text();
  EXPECT_TRUE(result->reports[1]->delivered()) << trace_text();
}

TEST(SmtpClientTest, SeveralMessagesOverOneConnection) {
  const std::string marker = unique_marker();
  std::vector<Outgoing> messages;
  for (int i = 0; i < 3; ++i) {
    messages.push_back(simple_message(fmt::format("{}n{}", marker, i), {StackEnv::get()["USER1"]}));
  }
  auto result = submit(stack_settings(), token_auth(sasl::Mechanism::XOAuth2), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  std::set<std::string> queue_ids;
  for (const auto& report : result->reports) {
    ASSERT_TRUE(report.has_value()) << report.error().describe() << "\n" << trace_text();
    EXPECT_TRUE(report->delivered());
    queue_ids.insert(report->queue_id);
  }
  EXPECT_EQ(queue_ids.size(), 3u);
  EXPECT_EQ(std::count(g_trace.begin(), g_trace.end(), "C: STARTTLS"), 1) << trace_text();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(alice_message(fmt::format("{}n{}", marker, i)).empty()) << i;
  }
}

TEST(SmtpClientTest, UntrustedCertificateIsRefusedBeforeAuth) {
  ClientSettings settings = stack_settings();
  settings.tls.ca_file.clear();  // the system's store does not know the stack's CA
  auto result = submit(settings, token_auth(sasl::Mechanism::XOAuth2), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.certificate");
  EXPECT_EQ(trace_text().find("C: AUTH"), std::string::npos) << trace_text();
}

TEST(SmtpClientTest, NoAuthOverPlainTextUnlessAllowed) {
  ClientSettings settings = stack_settings();
  settings.security = Security::None;
  auto result = submit(settings, password_auth(sasl::Mechanism::Plain), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "smtp.auth_unencrypted");
  EXPECT_EQ(trace_text().find("C: AUTH"), std::string::npos) << trace_text();
}

// --- against peers that misbehave ------------------------------------------

TEST(SmtpClientTest, ServerWithoutStartTlsIsRefusedBeforeAuth) {
  std::promise<std::string> received;
  LocalPeer peer([&received](int fd) {
    LocalPeer::send_text(fd, "220 stripped.example ESMTP\r\n");
    std::string seen = LocalPeer::read_line(fd) + "\n";
    LocalPeer::send_text(fd, "250-stripped.example\r\n250-AUTH PLAIN XOAUTH2\r\n250 8BITMIME\r\n");
    for (std::string line; !(line = LocalPeer::read_line(fd)).empty();) seen += line + "\n";
    received.set_value(seen);
  });
  auto result = submit(peer_settings(peer.port()), token_auth(sasl::Mechanism::XOAuth2), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "smtp.starttls_unavailable");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Config);
  const std::string seen = received.get_future().get();
  EXPECT_EQ(seen.find("AUTH"), std::string::npos) << seen;
}

TEST(SmtpClientTest, BytesAfterTheStartTlsAnswerAreRefused) {
  LocalPeer peer([](int fd) {
    LocalPeer::send_text(fd, "220 evil.example ESMTP\r\n");
    LocalPeer::read_line(fd);
    LocalPeer::send_text(fd, "250-evil.example\r\n250 STARTTLS\r\n");
    LocalPeer::read_line(fd);
    LocalPeer::send_text(fd, "220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n");
    LocalPeer::read_line(fd);
  });
  auto result = submit(peer_settings(peer.port()), token_auth(sasl::Mechanism::XOAuth2), {});
  ASSERT_FALSE(result.has_value());
  EXPECT_TRUE(result.error().code() == "smtp.starttls_injection" ||
              result.error().code() == "net.starttls_injection")
      << result.error().describe();
}

TEST(SmtpClientTest, SilentServerTimesOutWithinTheDeadline) {
  std::promise<void> done;
  auto finished = done.get_future();
  LocalPeer peer([&finished](int) { finished.wait_for(10s); });
  ClientSettings settings = peer_settings(peer.port());
  settings.timeouts.greeting = 300ms;
  const auto started = std::chrono::steady_clock::now();
  auto result = submit(settings, std::nullopt, {});
  const auto waited = std::chrono::steady_clock::now() - started;
  done.set_value();
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.timeout");
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_LT(waited, 3s);
}

TEST(SmtpClientTest, ConnectionRefusedIsTemporary) {
  std::uint16_t port = 0;
  {
    LocalPeer closed([](int) {});
    port = closed.port();
  }
  auto result = submit(peer_settings(port), std::nullopt, {});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Temporary);
}

// A plain-text peer (Security::None) that speaks the given EHLO answer,
// records every line after it, answers 250 to MAIL/RCPT (only once it has
// them all when `wait_for_batch`: a client that did not pipeline would then
// wait forever), 354 to DATA and 250 to the dot.
std::string scripted_session(std::string ehlo_reply, std::size_t batch, Outgoing outgoing,
                             core::Result<SubmitResult>& result) {
  std::promise<std::string> received;
  LocalPeer peer([&](int fd) {
    std::string seen;
    LocalPeer::send_text(fd, "220 peer.example ESMTP\r\n");
    seen += LocalPeer::read_line(fd) + "\n";
    LocalPeer::send_text(fd, ehlo_reply);
    std::vector<std::string> pending;
    for (std::string line; !(line = LocalPeer::read_line(fd)).empty();) {
      seen += line + "\n";
      if (line == "QUIT") {
        LocalPeer::send_text(fd, "221 bye\r\n");
        break;
      }
      if (line == "DATA") {
        LocalPeer::send_text(fd, "354 go\r\n");
        for (std::string data; (data = LocalPeer::read_line(fd)) != ".";) {
          seen += "  " + data + "\n";
          if (data.empty() && seen.size() > 1'000'000) break;
        }
        LocalPeer::send_text(fd, "250 2.0.0 Ok: queued as PEER1\r\n");
        continue;
      }
      pending.push_back(line);
      if (pending.size() >= batch || line.starts_with("RSET") || line.starts_with("EHLO")) {
        for (std::size_t i = 0; i < pending.size(); ++i) LocalPeer::send_text(fd, "250 ok\r\n");
        pending.clear();
      }
    }
    received.set_value(seen);
  });
  ClientSettings settings = peer_settings(peer.port(), Security::None);
  std::vector<Outgoing> messages;
  messages.push_back(std::move(outgoing));
  result = submit(settings, std::nullopt, std::move(messages));
  return received.get_future().get();
}

TEST(SmtpClientTest, PipeliningSendsMailAndRcptsBeforeReading) {
  core::Result<SubmitResult> result;
  Outgoing outgoing = simple_message("p", {"a@example.test", "b@example.test"});
  const std::string seen =
      scripted_session("250-peer.example\r\n250 PIPELINING\r\n", 3, std::move(outgoing), result);
  ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  EXPECT_TRUE(result->reports[0]->delivered()) << trace_text();
  EXPECT_EQ(result->reports[0]->queue_id, "PEER1");
  EXPECT_NE(seen.find("MAIL FROM:<alice@example.test>\nRCPT TO:<a@example.test>\nRCPT "
                      "TO:<b@example.test>\n"),
            std::string::npos)
      << seen;
}

TEST(SmtpClientTest, WithoutPipeliningOneCommandAtATimeAndHeloFallback) {
  core::Result<SubmitResult> result;
  Outgoing outgoing = simple_message("h", {"a@example.test"});
  // 502 to EHLO: the client says HELO and then needs the one-by-one dialogue.
  LocalPeer peer([](int fd) {
    LocalPeer::send_text(fd, "220 old.example\r\n");
    LocalPeer::read_line(fd);
    LocalPeer::send_text(fd, "502 what\r\n");
    if (LocalPeer::read_line(fd).starts_with("HELO ")) LocalPeer::send_text(fd, "250 old\r\n");
    for (std::string line; !(line = LocalPeer::read_line(fd)).empty();) {
      if (line == "DATA") {
        LocalPeer::send_text(fd, "354 go\r\n");
        while (LocalPeer::read_line(fd) != ".") {
        }
        LocalPeer::send_text(fd, "250 done\r\n");
      } else if (line == "QUIT") {
        LocalPeer::send_text(fd, "221 bye\r\n");
        break;
      } else {
        LocalPeer::send_text(fd, "250 ok\r\n");
      }
    }
  });
  std::vector<Outgoing> messages;
  messages.push_back(std::move(outgoing));
  result = submit(peer_settings(peer.port(), Security::None), std::nullopt, std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_TRUE(result->reports[0]->delivered()) << trace_text();
  EXPECT_NE(trace_text().find("C: HELO "), std::string::npos);
}

TEST(SmtpClientTest, SizeAndExtensionsAreCheckedBeforeMail) {
  core::Result<SubmitResult> result;
  Outgoing big = simple_message("s", {"a@example.test"}, std::string(500, 'x') + "\r\n");
  std::string seen =
      scripted_session("250-peer.example\r\n250 SIZE 100\r\n", 1, std::move(big), result);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->reports[0].has_value());
  EXPECT_EQ(result->reports[0].error().code(), "smtp.message_too_large");
  EXPECT_EQ(seen.find("MAIL"), std::string::npos) << seen;

  Outgoing eight_bit = simple_message("e", {"a@example.test"}, "caf\xc3\xa9\r\n");
  eight_bit.envelope.needs_8bitmime = true;
  seen = scripted_session("250 peer.example\r\n", 1, std::move(eight_bit), result);
  ASSERT_FALSE(result->reports[0].has_value());
  EXPECT_EQ(result->reports[0].error().code(), "smtp.8bitmime_unavailable");

  Outgoing utf8 = simple_message("u", {"jos\xc3\xa9@example.test"});
  seen = scripted_session("250 peer.example\r\n", 1, std::move(utf8), result);
  ASSERT_FALSE(result->reports[0].has_value());
  EXPECT_EQ(result->reports[0].error().code(), "smtp.smtputf8_unavailable");

  Outgoing announced = simple_message("z", {"a@example.test"}, "caf\xc3\xa9\r\n");
  announced.envelope.needs_8bitmime = true;
  seen = scripted_session("250-peer.example\r\n250-8BITMIME\r\n250 SIZE 100000\r\n", 1,
                          std::move(announced), result);
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  EXPECT_NE(seen.find("MAIL FROM:<alice@example.test> SIZE="), std::string::npos) << seen;
  EXPECT_NE(seen.find(" BODY=8BITMIME"), std::string::npos) << seen;
}

TEST(SmtpClientTest, AddressesThatWouldInjectCommandsAreRefused) {
  core::Result<SubmitResult> result;
  Outgoing hostile = simple_message("i", {"a@example.test>\r\nRCPT TO:<victim@example.test"});
  std::string seen = scripted_session("250 peer.example\r\n", 1, std::move(hostile), result);
  ASSERT_TRUE(result.has_value());
  ASSERT_FALSE(result->reports[0].has_value());
  EXPECT_EQ(result->reports[0].error().code(), "smtp.bad_address");
  EXPECT_EQ(seen.find("victim"), std::string::npos) << seen;
}

}  // namespace
}  // namespace mailoauth::smtp
