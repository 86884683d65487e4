// Messages too large for one sendMail request, through a draft, attachments
// and an upload session, against the strict Graph emulator (its upload URL
// on a second origin that refuses an Authorization header, Content-Range
// checked, chunks over 4 MB refused): a message with a 15 MiB attachment
// and two of 2.5 MB arrives complete, byte for byte, with the envelope's
// Bcc; no Authorization header ever reaches the upload origin; the chunks
// go in order, in multiples of 320 KiB under 4 MB; a chunk refused for good
// cancels the session (DELETE on the upload URL) and deletes the draft; a
// 5xx on a chunk is repeated; 429 with Retry-After is waited out, also when
// the emulator's per-mailbox upload volume limit is hit; a token without
// Mail.ReadWrite is refused at the draft with the permission named; a
// delegated token on a shared mailbox gets 403 from createUploadSession and
// the error says it is Graph's known limitation. The emulator's upload
// origin refuses a gap and an overlap with 416 and the range it expects
// (and a bearer token with 401); a chunk whose answer was lost is sent
// again, refused as an overlap, and the upload resumes where the session
// says; an upload session that expires mid-way is started over once in a
// new session, and a second expiry ends the send as temporary with the
// draft deleted.
#include "mailoauth/graph/large_message.hpp"

#include <algorithm>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/clock.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/graph/upload_ranges.hpp"
#include "mailoauth/graph/upload_session.hpp"
#include "mailoauth/mime/mime_structure.hpp"
#include "mailoauth/oauth2/device_flow.hpp"
#include "mailoauth/oauth2/form.hpp"

#include "graph_emulator_process.hpp"

namespace mailoauth::graph {
namespace {

using namespace std::chrono_literals;
using emulator_test::alice_token;
using emulator_test::Emulator;
using emulator_test::RecordingSleeper;
using emulator_test::settings_for;
using emulator_test::user1;
using testing::StackEnv;

// Records each wait, then waits for real (the emulator's clock must move).
class WaitingSleeper final : public oauth2::Sleeper {
 public:
  void sleep(std::chrono::milliseconds duration) override {
    waits.push_back(duration);
    std::this_thread::sleep_for(duration);
  }
  std::vector<std::chrono::milliseconds> waits;
};

std::string bytes_of(std::size_t size, std::uint32_t seed) {
  std::string bytes(size, '\0');
  std::uint32_t state = seed * 2654435761u + 1;
  for (auto& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

std::string folded_base64(const std::string& bytes) {
  const std::string encoded = core::base64::encode(bytes);
  std::string out;
  out.reserve(encoded.size() / 76 * 78 + 80);
  for (std::size_t i = 0; i < encoded.size(); i += 76) {
    out.append(encoded, i, 76);
    out += "\r\n";
  }
  return out;
}

struct Attached {
  std::string name;
  std::string bytes;
};

// The test's attachments: one for an upload session, two for POST attachments.
const std::vector<Attached>& attachments() {
  static const std::vector<Attached> all = {{"scan.pdf", bytes_of(15u << 20, 1)},
                                            {"small-1.bin", bytes_of(2'500'000, 2)},
                                            {"small-2.bin", bytes_of(2'500'000, 3)}};
  return all;
}

std::string large_message(std::string_view from, std::string_view subject) {
  std::string message = fmt::format(
      "From: {}\r\nTo: bob@example.test\r\nSubject: {}\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
      "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nthe scans are attached\r\n",
      from, subject);
  for (const auto& attached : attachments()) {
    message += fmt::format(
        "--b1\r\nContent-Type: application/octet-stream; name=\"{0}\"\r\n"
        "Content-Disposition: attachment; filename=\"{0}\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n",
        attached.name);
    message += folded_base64(attached.bytes);
  }
  return message + "--b1--\r\n";
}

nlohmann::json json_of(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, false);
}

// The attachments of a delivered message, by name, decoded (strict base64).
std::map<std::string, std::string> delivered_attachments(const std::string& eml) {
  std::map<std::string, std::string> found;
  auto parsed = mime::parse_mime_structure(eml);
  if (!parsed) return found;
  for (const auto& entity : parsed->entities) {
    if (entity.disposition != "attachment") continue;
    std::string text = eml.substr(entity.body_begin, entity.end - entity.body_begin);
    std::erase(text, '\r');
    std::erase(text, '\n');
    auto bytes = core::base64::decode(text);
    found[entity.file_name] = bytes ? *bytes : std::string("<not base64>");
  }
  return found;
}

std::vector<nlohmann::json> requests_where(const Emulator& emulator, std::string_view origin,
                                           std::string_view method) {
  std::vector<nlohmann::json> matching;
  for (const auto& entry : json_of(emulator.get("/test/requests"))) {
    if (entry["origin"] == origin && entry["method"] == method) matching.push_back(entry);
  }
  return matching;
}

TEST(GraphLargeMessageTest, ArrivesCompleteWithNoTokenAtTheUploadOriginAndChunksInOrder) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const std::string message = large_message("alice@example.test", "scans");
  ASSERT_GT(message.size(), 20u << 20);
  auto sent = send_mime(http, settings_for(emulator), user1(), alice_token(), message,
                        {"bob@example.test", "carol@example.test"}, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_TRUE(sent->large);
  EXPECT_EQ(sent->attachments_added, 2);
  EXPECT_EQ(sent->upload_sessions, 1);
  EXPECT_EQ(sent->chunks_uploaded, 4);
  EXPECT_EQ(sent->bytes_uploaded, 15u << 20);
  EXPECT_EQ(sent->bcc_added, std::vector<std::string>{"carol@example.test"});
  EXPECT_FALSE(sent->request_id.empty());
  EXPECT_TRUE(sleeper.waits.empty());

  const auto outbox = json_of(emulator.outbox());
  ASSERT_EQ(outbox.size(), 1u) << emulator.outbox();
  auto recipients = outbox[0]["recipients"].get<std::vector<std::string>>();
  std::ranges::sort(recipients);  // the Bcc field is written first
  EXPECT_EQ(recipients, (std::vector<std::string>{"bob@example.test", "carol@example.test"}));
  EXPECT_EQ(outbox[0]["attachments"].size(), 3u);
  const std::string eml = emulator.outbox_file(1);
  EXPECT_EQ(eml.find("carol@example.test"), std::string::npos) << "Bcc is not shown";
  const auto delivered = delivered_attachments(eml);
  for (const auto& attached : attachments()) {
    ASSERT_TRUE(delivered.contains(attached.name)) << attached.name;
    EXPECT_TRUE(delivered.at(attached.name) == attached.bytes) << attached.name << " differs";
  }
  EXPECT_EQ(json_of(emulator.get("/test/drafts")).size(), 0u) << "sent, so no draft is left";

  for (const auto& entry : json_of(emulator.get("/test/requests"))) {
    EXPECT_EQ(entry["authorization"], entry["origin"] == "graph")
        << "an Authorization header at the " << entry["origin"] << " origin: " << entry.dump();
  }
  std::vector<std::string> ranges;
  for (const auto& put : requests_where(emulator, "upload", "PUT")) {
    ranges.push_back(put["contentRange"]);
    EXPECT_LT(put["contentLength"].get<std::uint64_t>(), kMaxUploadChunk);
    EXPECT_EQ(put["contentLength"].get<std::uint64_t>() % kUploadChunkUnit, 0u)
        << "15 MiB is 48 units of 320 KiB";
  }
  EXPECT_EQ(ranges, (std::vector<std::string>{
                        "bytes 0-3932159/15728640", "bytes 3932160-7864319/15728640",
                        "bytes 7864320-11796479/15728640", "bytes 11796480-15728639/15728640"}));
  EXPECT_EQ(requests_where(emulator, "graph", "DELETE").size(), 0u);
}

TEST(GraphLargeMessageTest, AChunkRefusedForGoodCancelsTheSessionAndDeletesTheDraft) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  emulator.faults(R"([{"status":400,"on":"upload","code":"ErrorInvalidRequest","message":"no"}])");
  auto failed = send_mime(http, settings_for(emulator), user1(), alice_token(),
                          large_message("alice@example.test", "refused"), {}, sleeper);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(failed.error().message().find("upload session was cancelled"), std::string::npos)
      << failed.error().message();
  EXPECT_NE(failed.error().message().find("nothing was sent, and the draft was deleted"),
            std::string::npos)
      << failed.error().message();
  EXPECT_EQ(requests_where(emulator, "upload", "DELETE").size(), 1u) << "the session cancelled";
  const auto deletes = requests_where(emulator, "graph", "DELETE");
  ASSERT_EQ(deletes.size(), 1u);
  EXPECT_EQ(deletes[0]["status"], 204);
  EXPECT_EQ(json_of(emulator.get("/test/drafts")).size(), 0u);
  EXPECT_EQ(emulator.accepted(), 0);
  EXPECT_EQ(requests_where(emulator, "upload", "DELETE")[0]["authorization"], false);
}

TEST(GraphLargeMessageTest, ServerErrorsBeforeSendAreRepeatedAndThrottlingIsWaitedOut) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  emulator.faults(
      R"([{"status":503,"on":"upload"},{"status":429,"retry_after":7,"on":"createUploadSession"},)"
      R"({"status":500,"on":"draft"}])");
  auto sent = send_mime(http, settings_for(emulator), user1(), alice_token(),
                        large_message("alice@example.test", "bumpy"), {}, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{3s, 7s, 3s}))
      << "the draft's 500 (backoff), createUploadSession's Retry-After, the chunk's 503";
  const auto puts = requests_where(emulator, "upload", "PUT");
  ASSERT_EQ(puts.size(), 5u);
  EXPECT_EQ(puts[0]["contentRange"], puts[1]["contentRange"]) << "the refused chunk again";
  EXPECT_EQ(emulator.accepted(), 1);
  EXPECT_EQ(json_of(emulator.get("/test/drafts")).size(), 0u) << "no second draft left behind";
}

TEST(GraphLargeMessageTest, TheMailboxUploadVolumeLimitAnswers429WithRetryAfter) {
  Emulator emulator;
  emulator.control("/test/limits", R"({"upload_bytes":10485760,"window_seconds":2})");
  oauth2::HttpClient http;
  WaitingSleeper sleeper;
  auto sent = send_mime(http, settings_for(emulator), user1(), alice_token(),
                        large_message("alice@example.test", "volume"), {}, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  ASSERT_FALSE(sleeper.waits.empty()) << "10 MB in 2 s cannot take 25 MB without a 429";
  for (const auto wait : sleeper.waits) EXPECT_LE(wait, 2s) << "the emulator's Retry-After";
  bool throttled = false;
  for (const auto& entry : json_of(emulator.get("/test/requests"))) {
    throttled = throttled || entry["status"] == 429;
  }
  EXPECT_TRUE(throttled);
  EXPECT_EQ(emulator.accepted(), 1);
}

TEST(GraphLargeMessageTest, WithoutMailReadWriteTheDraftIsRefusedAndThePermissionNamed) {
  Emulator emulator;
  emulator.control("/test/permissions", R"({"granted":["Mail.Send"]})");
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto refused = send_mime(http, settings_for(emulator), user1(), alice_token(),
                           large_message("alice@example.test", "no draft"), {}, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.ErrorAccessDenied");
  EXPECT_NE(refused.error().remedy().find("Mail.ReadWrite"), std::string::npos)
      << refused.error().remedy();
  EXPECT_EQ(emulator.accepted(), 0);
}

// A delegated token for USER1 (the stack's device flow, approved by its
// test-only endpoint).
core::Secret delegated_token() {
  const auto& env = StackEnv::get();
  oauth2::HttpClient http;
  const oauth2::ClientIdentity client{env["CONF_CLIENT_ID"],
                                      core::Secret(env["CONF_CLIENT_SECRET"]),
                                      oauth2::ClientAuthentication::SecretBasic};
  auto authorization = oauth2::start_device_authorization(http, env["OIDC_DEVICE_URL"], client,
                                                          {"openid", "email", env["MAIL_SCOPE"]});
  if (!authorization) throw std::runtime_error(authorization.error().describe());
  oauth2::HttpRequest approve;
  approve.url = env["OIDC_TEST_DEVICE_APPROVE_URL"];
  approve.body =
      oauth2::form_encode({{"user_code", authorization->user_code}, {"login_hint", env["USER1"]}});
  auto approved = http.perform(approve);
  if (!approved || approved->status != 200) throw std::runtime_error("device approval failed");
  RecordingSleeper sleeper;
  auto token = oauth2::poll_device_token(http, env["OIDC_TOKEN_URL"], client, *authorization,
                                         core::system_clock(), sleeper);
  if (!token) throw std::runtime_error(token.error().describe());
  return std::move(token->access_token);
}

TEST(GraphLargeMessageTest, ADelegatedTokenOnASharedMailboxGets403ExplainedAsKnownLimitation) {
  Emulator emulator;
  const std::string shared = StackEnv::get()["USER2"];
  emulator.control("/test/shared", fmt::format(R"({{"mailboxes":["{}"]}})", shared));
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto refused = send_mime(http, settings_for(emulator), shared, delegated_token(),
                           large_message(shared, "shared"), {}, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.ErrorAccessDenied");
  EXPECT_NE(refused.error().message().find("createUploadSession"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().remedy().find("known Graph limitation"), std::string::npos)
      << refused.error().remedy();
  EXPECT_NE(refused.error().remedy().find("app-only"), std::string::npos);
  EXPECT_NE(refused.error().message().find("draft was deleted"), std::string::npos);
  EXPECT_EQ(json_of(emulator.get("/test/drafts")).size(), 0u);
  EXPECT_EQ(emulator.accepted(), 0);
}

TEST(GraphLargeMessageTest, OverTheMailboxMaximumIsRefusedBeforeAnyRequest) {
  Emulator emulator;
  GraphSettings settings = settings_for(emulator);
  settings.max_message_size = 10u << 20;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto refused = send_mime(http, settings, user1(), alice_token(),
                           large_message("alice@example.test", "huge"), {}, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.over_max_size");
  EXPECT_EQ(refused.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(refused.error().remedy().find("graph_max_message_size"), std::string::npos);
  EXPECT_EQ(emulator.get("/test/requests"), "[]");
}

std::vector<std::pair<std::string, int>> upload_puts(const Emulator& emulator) {
  std::vector<std::pair<std::string, int>> puts;
  for (const auto& put : requests_where(emulator, "upload", "PUT")) {
    puts.emplace_back(put["contentRange"].get<std::string>(), put["status"].get<int>());
  }
  return puts;
}

// The emulator's own strictness, request by request: a draft, a session for
// 1,000 bytes, then a gap, an overlap, a bearer token and the right ranges.
TEST(GraphLargeMessageTest, TheUploadOriginRefusesGapsAndOverlapsWith416AndTheExpectedRange) {
  Emulator emulator;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const core::Secret token = alice_token();
  const GraphSettings settings = settings_for(emulator);
  oauth2::HttpRequest create;
  create.url = fmt::format("{}/v1.0/users/{}/messages", emulator.base_url(), user1());
  create.content_type = "text/plain";
  create.authorization = core::Secret::take("Bearer " + std::string(token.reveal()));
  create.body = core::Secret(core::base64::encode(
      "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: ranges\r\n\r\nx\r\n"));
  auto created = http.perform(create);
  ASSERT_TRUE(created.has_value()) << created.error().describe();
  ASSERT_EQ(created->status, 201) << created->body;
  const std::string id = json_of(created->body)["id"].get<std::string>();
  const std::string mailbox = user1();
  const DraftAddress draft{&settings, mailbox, id, "ranges-test"};
  StepCounters counters;
  auto session = create_upload_session(
      http, draft, token, UploadItem{"ranges.bin", "application/octet-stream", "", false, 1000},
      sleeper, counters);
  ASSERT_TRUE(session.has_value()) << session.error().describe();

  const std::string bytes = bytes_of(1000, 7);
  auto put = [&](std::uint64_t first, std::uint64_t last, bool with_token = false) {
    oauth2::HttpRequest request;
    request.method = "PUT";
    request.url = session->upload_url;
    request.content_type = "application/octet-stream";
    request.headers = {fmt::format("Content-Range: bytes {}-{}/1000", first, last)};
    request.body = core::Secret(bytes.substr(first, last - first + 1));
    if (with_token)
      request.authorization = core::Secret::take("Bearer " + std::string(token.reveal()));
    auto answer = http.perform(request);
    EXPECT_TRUE(answer.has_value());
    return answer.has_value() ? *answer : oauth2::HttpResponse{};
  };
  auto expected_ranges = [](const oauth2::HttpResponse& answer) {
    auto ranges = parse_next_expected_ranges(answer.body);
    return ranges && ranges->size() == 1 ? (*ranges)[0].first : ~std::uint64_t{0};
  };
  const auto first = put(0, 99);
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(expected_ranges(first), 100u);
  const auto gap = put(200, 299);
  EXPECT_EQ(gap.status, 416) << "a gap: " << gap.body;
  EXPECT_EQ(expected_ranges(gap), 100u) << gap.body;
  const auto overlap = put(50, 149);
  EXPECT_EQ(overlap.status, 416) << "an overlap: " << overlap.body;
  EXPECT_EQ(expected_ranges(overlap), 100u) << overlap.body;
  EXPECT_EQ(put(100, 199, true).status, 401) << "a bearer token at the upload origin";
  const auto rest = put(100, 999);
  EXPECT_EQ(rest.status, 201) << rest.body;
  EXPECT_NE(rest.header("Location").find(id), std::string::npos);
  const auto drafts = json_of(emulator.get("/test/drafts"));
  ASSERT_EQ(drafts.size(), 1u);
  EXPECT_EQ(drafts[0]["attachments"], 1);
}

// The first chunk is taken but its answer is lost (504): the client sends it
// again, the session refuses the overlap with 416 and says where it stands,
// and the upload goes on from there; the attachment arrives intact.
TEST(GraphLargeMessageTest, AChunkWhoseAnswerWasLostIsResumedWhereThe416Says) {
  Emulator emulator;
  emulator.faults(R"([{"status":504,"on":"upload","deliver":true}])");
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto sent = send_mime(http, settings_for(emulator), user1(), alice_token(),
                        large_message("alice@example.test", "lost answer"), {}, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sleeper.waits, std::vector<std::chrono::milliseconds>{3s}) << "the 504's backoff";
  using Put = std::pair<std::string, int>;
  EXPECT_EQ(upload_puts(emulator), (std::vector<Put>{{"bytes 0-3932159/15728640", 504},
                                                     {"bytes 0-3932159/15728640", 416},
                                                     {"bytes 3932160-7864319/15728640", 200},
                                                     {"bytes 7864320-11796479/15728640", 200},
                                                     {"bytes 11796480-15728639/15728640", 201}}));
  EXPECT_EQ(sent->upload_sessions, 1);
  EXPECT_EQ(sent->bytes_uploaded, 15u << 20) << "the chunk the 416 says was taken counts";
  ASSERT_EQ(emulator.accepted(), 1);
  const auto delivered = delivered_attachments(emulator.outbox_file(1));
  ASSERT_TRUE(delivered.contains("scan.pdf"));
  EXPECT_TRUE(delivered.at("scan.pdf") == attachments()[0].bytes) << "scan.pdf differs";
}

// The session expires at the second chunk: a new session starts the
// attachment over and the message goes; no draft is deleted.
TEST(GraphLargeMessageTest, AnUploadSessionThatExpiresIsStartedOverOnceInANewSession) {
  Emulator emulator;
  emulator.faults(R"([{"on":"upload"},{"on":"upload","expire":true}])");
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto sent = send_mime(http, settings_for(emulator), user1(), alice_token(),
                        large_message("alice@example.test", "expiry"), {}, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sent->upload_sessions, 2);
  using Put = std::pair<std::string, int>;
  EXPECT_EQ(upload_puts(emulator), (std::vector<Put>{{"bytes 0-3932159/15728640", 200},
                                                     {"bytes 3932160-7864319/15728640", 404},
                                                     {"bytes 0-3932159/15728640", 200},
                                                     {"bytes 3932160-7864319/15728640", 200},
                                                     {"bytes 7864320-11796479/15728640", 200},
                                                     {"bytes 11796480-15728639/15728640", 201}}));
  EXPECT_EQ(requests_where(emulator, "graph", "DELETE").size(), 0u);
  ASSERT_EQ(emulator.accepted(), 1);
  const auto delivered = delivered_attachments(emulator.outbox_file(1));
  ASSERT_TRUE(delivered.contains("scan.pdf"));
  EXPECT_TRUE(delivered.at("scan.pdf") == attachments()[0].bytes) << "scan.pdf differs";
}

// Sessions that are already expired when used (a lifetime in the past): two
// sessions, then a temporary failure that names the expiry; the draft goes.
TEST(GraphLargeMessageTest, ASecondExpiredSessionEndsTheSendAsTemporaryWithTheDraftDeleted) {
  Emulator emulator;
  emulator.control("/test/limits", R"({"session_seconds":-60})");
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto failed = send_mime(http, settings_for(emulator), user1(), alice_token(),
                          large_message("alice@example.test", "expired"), {}, sleeper);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code(), kUploadSessionGone);
  EXPECT_EQ(failed.error().error_class(), core::ErrorClass::Temporary)
      << "an expired session is no reason to bounce the message";
  EXPECT_NE(failed.error().message().find("expired"), std::string::npos)
      << failed.error().message();
  EXPECT_NE(failed.error().message().find("draft was deleted"), std::string::npos)
      << failed.error().message();
  EXPECT_EQ(requests_where(emulator, "graph", "POST").size(), 3u)
      << "the draft and two createUploadSession for the first attachment";
  EXPECT_EQ(upload_puts(emulator).size(), 2u);
  EXPECT_EQ(json_of(emulator.get("/test/drafts")).size(), 0u);
  EXPECT_EQ(emulator.accepted(), 0);
}

}  // namespace
}  // namespace mailoauth::graph
