// Graph sendMail against the emulator (tests/graph_emulator: the one
// exception to real servers, since Graph cannot run here), which checks
// tokens at the real OAuth2 server's introspection endpoint and, like Graph,
// delivers only to the message's To/Cc/Bcc fields: a built message is
// accepted (202) and arrives byte for byte with our client-request-id; every
// envelope recipient gets the message (the ones To/Cc lack through a Bcc
// field), a message with no recipient is refused before sending; an app-only
// token sends as any mailbox of the tenant but not past an access policy
// (RAOP) or to a mailbox the tenant lacks; a bad token is renewed once, also
// with max_attempts 1; 429 is repeated after its Retry-After (or a backoff
// when it has none), a Retry-After beyond the caller's total wait is handed
// back instead of waited; a fifth request for a mailbox that already has
// four in progress gets Outlook's 429 MailboxConcurrency (its Retry-After
// honoured) while another mailbox is not held up; a 504, a 500 or a timeout after the body went out
// are "may have been sent", never sent twice; the deadline grows with the
// body; a message over the limit that has nothing to take out for a draft
// is refused before it is sent, and the emulator's own 413 is explained.
// (Large messages: large_message_test.cpp.)
#include "mailoauth/graph/send_mail.hpp"

#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "graph_emulator_process.hpp"

namespace mailoauth::graph {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using emulator_test::alice_token;
using emulator_test::Emulator;
using emulator_test::RecordingSleeper;
using emulator_test::settings_for;
using emulator_test::user1;
using testing::StackEnv;

const std::string kMessage =
    "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: via Graph\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhello \xc3\xa4\r\n";
const std::vector<std::string> kToBob = {"bob@example.test"};

TEST(GraphSendMailTest, AcceptedAndArrivesByteForByteWithOurClientRequestId) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto sent =
      send_mime(http, settings_for(emulator), user1(), alice_token(), kMessage, kToBob, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sent->attempts, 1);
  EXPECT_EQ(emulator.outbox_file(1), kMessage);
  EXPECT_TRUE(sent->bcc_added.empty());
  EXPECT_FALSE(sent->request_id.empty()) << "from the response's request-id header";
  ASSERT_EQ(sent->client_request_id.size(), 36u);
  EXPECT_NE(emulator.outbox().find(sent->client_request_id), std::string::npos);
}

// Graph delivers to the To/Cc/Bcc fields only: --bcc and sendmail's argument
// recipients reached nobody while "sent" was reported.
TEST(GraphSendMailTest, EveryEnvelopeRecipientGetsItAndBccStaysHidden) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const std::vector<std::string> envelope = {"bob@example.test", "carol@example.test",
                                             "dave@elsewhere.test"};
  auto sent =
      send_mime(http, settings_for(emulator), user1(), alice_token(), kMessage, envelope, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sent->bcc_added,
            (std::vector<std::string>{"carol@example.test", "dave@elsewhere.test"}));
  const std::string outbox = emulator.outbox();
  for (const auto& recipient : envelope) {
    EXPECT_NE(outbox.find("\"" + recipient + "\""), std::string::npos)
        << recipient << " " << outbox;
  }
  EXPECT_EQ(emulator.outbox_file(1), kMessage) << "recipients do not see the Bcc";

  const std::string bcc_only =
      "From: alice@example.test\r\nSubject: blind\r\n\r\nonly Bcc recipients\r\n";
  auto blind = send_mime(http, settings_for(emulator), user1(), alice_token(), bcc_only,
                         {"bob@example.test"}, sleeper);
  ASSERT_TRUE(blind.has_value()) << blind.error().describe();
  EXPECT_EQ(emulator.accepted(), 2);
}

TEST(GraphSendMailTest, AMessageWithoutRecipientsIsRefusedBeforeSending) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const std::string nobody = "From: alice@example.test\r\nSubject: s\r\n\r\nx\r\n";
  auto refused =
      send_mime(http, settings_for(emulator), user1(), alice_token(), nobody, {}, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.no_recipients");
  EXPECT_EQ(emulator.accepted(), 0);

  // What Graph itself answers, should such a message reach it.
  const auto graph = explain_graph_error(
      400,
      R"({"error":{"code":"ErrorInvalidRecipients","message":"At least one recipient is not valid., A message can't be sent because it contains no recipients."}})",
      "printer@contoso.com");
  EXPECT_EQ(graph.code(), "graph.ErrorInvalidRecipients");
  EXPECT_NE(graph.remedy().find("non-delivery"), std::string::npos) << graph.remedy();
  EXPECT_NE(graph.message().find("no recipients"), std::string::npos);
}

TEST(GraphSendMailTest, AppOnlyCoversTheTenantButNotAPolicyOrAStranger) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const std::string bob = StackEnv::get()["USER2"];
  auto as_bob =
      send_mime(http, settings_for(emulator), bob, alice_token(), kMessage, kToBob, sleeper);
  ASSERT_TRUE(as_bob.has_value()) << as_bob.error().describe();

  emulator.deny(bob);
  auto raop =
      send_mime(http, settings_for(emulator), bob, alice_token(), kMessage, kToBob, sleeper);
  ASSERT_FALSE(raop.has_value());
  EXPECT_EQ(raop.error().code(), "graph.ErrorAccessDenied");
  EXPECT_EQ(raop.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(raop.error().message().find("request-id"), std::string::npos);
  EXPECT_NE(raop.error().message().find("access policy"), std::string::npos)
      << raop.error().message();
  EXPECT_NE(raop.error().remedy().find("New-ApplicationAccessPolicy"), std::string::npos);

  auto stranger = send_mime(http, settings_for(emulator), "nobody@example.test", alice_token(),
                            kMessage, kToBob, sleeper);
  ASSERT_FALSE(stranger.has_value());
  EXPECT_EQ(stranger.error().code(), "graph.ErrorInvalidUser");
  EXPECT_NE(stranger.error().message().find("HTTP 404"), std::string::npos);
  EXPECT_EQ(emulator.accepted(), 1);
}

TEST(GraphSendMailTest, BadTokenIsRenewedOnceThroughTheCallback) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  int renewals = 0;
  const RefreshToken renew = [&]() -> core::Result<core::Secret> {
    ++renewals;
    return alice_token();
  };
  auto sent = send_mime(http, settings_for(emulator), user1(), core::Secret("expired-token"),
                        kMessage, kToBob, sleeper, renew);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(renewals, 1);
  EXPECT_TRUE(sent->token_refreshed);

  // One attempt allowed: the renewed token still gets its request (this
  // dereferenced an empty error before).
  GraphSettings once = settings_for(emulator);
  once.max_attempts = 1;
  auto single =
      send_mime(http, once, user1(), core::Secret("expired"), kMessage, kToBob, sleeper, renew);
  ASSERT_TRUE(single.has_value()) << single.error().describe();
  EXPECT_EQ(single->attempts, 2);
  EXPECT_EQ(renewals, 2);

  auto refused = send_mime(http, settings_for(emulator), user1(), core::Secret("bad"), kMessage,
                           kToBob, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.InvalidAuthenticationToken");
  EXPECT_NE(refused.error().remedy().find("graph.microsoft.us"), std::string::npos);
}

TEST(GraphSendMailTest, ThrottlingHonoursRetryAfterOrBacksOffAndIsBounded) {
  Emulator emulator;
  GraphSettings settings = settings_for(emulator);
  settings.max_attempts = 3;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  emulator.faults(R"([{"status":429,"retry_after":7},{"status":429}])");
  auto sent = send_mime(http, settings, user1(), alice_token(), kMessage, kToBob, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sent->attempts, 3);
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{7s, 6s}))
      << "Retry-After, then the SDKs' backoff (3 s doubled) for a 429 without one";
  EXPECT_EQ(emulator.accepted(), 1);

  emulator.throttle(5, 2);
  RecordingSleeper second;
  auto refused = send_mime(http, settings, user1(), alice_token(), kMessage, kToBob, second);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(refused.error().code(), "graph.ApplicationThrottled");
  EXPECT_EQ(refused.error().retry_after(), std::optional<std::chrono::seconds>(2s));
  EXPECT_EQ(second.waits.size(), 2u) << "three attempts, two waits";
  EXPECT_NE(refused.error().message().find("request-id"), std::string::npos)
      << "a 429 has no innerError: the id comes from the header: " << refused.error().message();
  EXPECT_NE(refused.error().message().find("client-request-id"), std::string::npos);
}

// Outlook allows an app 4 requests at once per mailbox (throttling-limits):
// four slow sendMails for one mailbox hold its slots, a fifth gets 429
// ApplicationThrottled (MailboxConcurrency, Retry-After 1) on every try,
// and a sendMail for another mailbox goes through meanwhile.
TEST(GraphSendMailTest, AFifthRequestAtOnceForOneMailboxIsThrottledNotAnother) {
  Emulator emulator;
  emulator.control("/test/slow", R"({"ms":4000})");
  const GraphSettings settings = settings_for(emulator);
  const core::Secret token = alice_token();
  std::vector<std::optional<bool>> held(4);
  std::vector<std::thread> holders;
  for (std::size_t i = 0; i < held.size(); ++i) {
    holders.emplace_back([&, i] {
      oauth2::HttpClient http;
      RecordingSleeper unused;
      held[i] =
          send_mime(http, settings, user1(), token.clone(), kMessage, kToBob, unused).has_value();
    });
  }
  int in_flight = 0;
  for (int poll = 0; poll < 300 && in_flight < 4; ++poll) {
    std::this_thread::sleep_for(10ms);
    in_flight = nlohmann::json::parse(emulator.get("/test/concurrency"))["in_flight"].get<int>();
  }
  ASSERT_EQ(in_flight, 4) << "four sendMails in progress at once";

  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  GraphSettings fifth = settings;
  fifth.max_attempts = 3;
  auto refused = send_mime(http, fifth, user1(), token.clone(), kMessage, kToBob, sleeper);
  ASSERT_FALSE(refused.has_value()) << "a fifth request for the mailbox went through";
  EXPECT_EQ(refused.error().code(), "graph.ApplicationThrottled");
  EXPECT_EQ(refused.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_NE(refused.error().message().find("MailboxConcurrency"), std::string::npos)
      << refused.error().message();
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{1s, 1s}))
      << "the emulator's Retry-After: 1 on each of the three 429s";

  const std::string other = StackEnv::get()["USER2"];
  RecordingSleeper other_sleeper;
  auto sent = send_mime(http, settings, other, token.clone(),
                        fmt::format("From: {}\r\nTo: bob@example.test\r\nSubject: other\r\n"
                                    "\r\nnot held up\r\n",
                                    other),
                        kToBob, other_sleeper);
  EXPECT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_TRUE(other_sleeper.waits.empty()) << "the limit is per mailbox";
  for (auto& holder : holders) holder.join();
  for (const auto& done : held) EXPECT_EQ(done, std::optional<bool>(true));
  EXPECT_EQ(emulator.accepted(), 5);
  int throttled = 0;
  for (const auto& entry : nlohmann::json::parse(emulator.get("/test/requests"))) {
    throttled += entry["status"] == 429 ? 1 : 0;
  }
  EXPECT_EQ(throttled, 3);
}

TEST(GraphSendMailTest, ARetryAfterBeyondTheCallersWaitIsHandedBack) {
  Emulator emulator;
  GraphSettings settings = settings_for(emulator);
  settings.max_total_wait = 60s;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  emulator.faults(R"([{"status":429,"retry_after":500}])");
  auto deferred = send_mime(http, settings, user1(), alice_token(), kMessage, kToBob, sleeper);
  ASSERT_FALSE(deferred.has_value());
  EXPECT_EQ(deferred.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(deferred.error().retry_after(), std::optional<std::chrono::seconds>(500s));
  EXPECT_TRUE(sleeper.waits.empty()) << "neither waited nor shortened";
}

// sendMail is not idempotent: after a 504 or a timeout, Graph may have sent it.
TEST(GraphSendMailTest, MayHaveBeenSentIsReportedNotSentAgain) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  for (const char* fault :
       {R"([{"status":504,"deliver":true}])", R"([{"status":500,"deliver":true}])"}) {
    const int before = emulator.accepted();
    emulator.faults(fault);
    auto sent =
        send_mime(http, settings_for(emulator), user1(), alice_token(), kMessage, kToBob, sleeper);
    ASSERT_FALSE(sent.has_value()) << fault;
    EXPECT_EQ(sent.error().code(), "graph.maybe_sent") << fault;
    EXPECT_EQ(sent.error().error_class(), core::ErrorClass::Temporary);
    EXPECT_NE(sent.error().remedy().find("Sent Items"), std::string::npos);
    EXPECT_EQ(emulator.accepted(), before + 1) << fault << ": sent once, not again";
  }

  oauth2::HttpSettings quick;
  quick.total_timeout = 1000ms;
  oauth2::HttpClient impatient(quick);
  emulator.faults(R"([{"hang":true,"deliver":true}])");
  auto hung = send_mime(impatient, settings_for(emulator), user1(), alice_token(), kMessage, kToBob,
                        sleeper);
  ASSERT_FALSE(hung.has_value());
  EXPECT_EQ(hung.error().code(), "graph.maybe_sent") << hung.error().describe();
  EXPECT_EQ(emulator.accepted(), 3);
  EXPECT_TRUE(sleeper.waits.empty());

  // A 503 with Retry-After was turned away before Exchange saw it: repeated.
  emulator.faults(R"([{"status":503,"retry_after":1}])");
  auto repeated =
      send_mime(http, settings_for(emulator), user1(), alice_token(), kMessage, kToBob, sleeper);
  ASSERT_TRUE(repeated.has_value()) << repeated.error().describe();
  EXPECT_EQ(repeated->attempts, 2);
  EXPECT_EQ(emulator.accepted(), 4);
}

TEST(GraphSendMailTest, NoConnectionIsRepeatedWithBackoff) {
  int port = 0;
  {
    Emulator gone;  // a port that was just free
    port = std::stoi(gone.base_url().substr(gone.base_url().rfind(':') + 1));
  }
  GraphSettings settings;
  settings.base_url = "http://127.0.0.1:" + std::to_string(port);
  settings.max_attempts = 3;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto refused = send_mime(http, settings, user1(), core::Secret("t"), kMessage, kToBob, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "http.connect");
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{3s, 6s}));
}

// The 30 s total deadline failed 4 MB on slow uplinks: it grows with the body.
TEST(GraphSendMailTest, TheDeadlineGrowsWithTheBody) {
  Emulator emulator;
  GraphSettings settings = settings_for(emulator);
  settings.slowest_upload_bytes_per_second = 1024 * 1024;
  oauth2::HttpSettings quick;
  quick.total_timeout = 1000ms;
  oauth2::HttpClient http(quick);
  RecordingSleeper sleeper;
  const std::string big =
      kMessage + std::string(786'432 - kMessage.size(), 'x');  // 1 MiB in base64
  emulator.faults(R"([{"hang":true,"deliver":true}])");
  auto hung = send_mime(http, settings, user1(), alice_token(), big, kToBob, sleeper);
  ASSERT_FALSE(hung.has_value());
  EXPECT_NE(hung.error().message().find("no answer within 2000 ms"), std::string::npos)
      << hung.error().message();
}

TEST(GraphSendMailTest, TooLargeIsRefusedBeforeSendingAnd413IsExplained) {
  Emulator emulator;
  GraphSettings settings = settings_for(emulator);
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const std::string big = kMessage + std::string(3'500'000, 'x');
  // Too large for sendMail, and with no attachment to take out for the
  // draft + upload session path: refused before anything is sent.
  auto refused = send_mime(http, settings, user1(), alice_token(), big, kToBob, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.draft_too_large");
  EXPECT_NE(refused.error().remedy().find("SMTP"), std::string::npos);
  EXPECT_EQ(emulator.accepted(), 0) << "nothing may have been sent";
  EXPECT_EQ(emulator.get("/test/requests"), "[]") << "not one request";

  settings.max_request_size = 16 << 20;  // let it through to the emulator's own limit
  auto server_refused = send_mime(http, settings, user1(), alice_token(), big, kToBob, sleeper);
  ASSERT_FALSE(server_refused.has_value());
  EXPECT_EQ(server_refused.error().code(), "graph.too_large");
  EXPECT_NE(server_refused.error().message().find("HTTP 413"), std::string::npos);
}

TEST(GraphSendMailTest, ErrorBodiesAreExplainedWithoutTheServersHelp) {
  const auto raop = explain_graph_error(
      403,
      R"({"error":{"code":"ErrorAccessDenied","message":"[RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.","innerError":{"request-id":"r-1"}}})",
      "printer@contoso.com");
  EXPECT_NE(raop.remedy().find("ApplicationAccessPolicy"), std::string::npos);
  EXPECT_NE(raop.message().find("r-1"), std::string::npos);
  // Without the policy's name in the text, a 403 ErrorAccessDenied still
  // names every cause: permission, access policy, Mail.Send.Shared.
  const auto denied = explain_graph_error(
      403, R"({"error":{"code":"ErrorAccessDenied","message":"Access is denied."}})",
      "shared@contoso.com", "hdr-1", "ours-1");
  EXPECT_NE(denied.remedy().find("Mail.Send.Shared"), std::string::npos);
  EXPECT_NE(denied.remedy().find("Test-ApplicationAccessPolicy"), std::string::npos);
  EXPECT_NE(denied.message().find("request-id hdr-1, client-request-id ours-1"), std::string::npos)
      << denied.message();
  const auto rest = explain_graph_error(
      404,
      R"({"error":{"code":"MailboxNotEnabledForRESTAPI","message":"REST API is not yet supported for this mailbox."}})",
      "onprem@contoso.com");
  EXPECT_EQ(rest.code(), "graph.MailboxNotEnabledForRESTAPI");
  const auto missing = explain_graph_error(
      404, R"({"error":{"code":"ResourceNotFound","message":"Resource could not be discovered."}})",
      "gone@contoso.com");
  EXPECT_EQ(missing.code(), "graph.ResourceNotFound");
  EXPECT_EQ(explain_graph_error(503, "<html>busy</html>", "x@y").error_class(),
            core::ErrorClass::Temporary);
}

}  // namespace
}  // namespace mailoauth::graph
