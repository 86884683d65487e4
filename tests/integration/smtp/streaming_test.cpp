// The SMTP client as a daemon needs it, against the real stack: a 36 MiB
// message (Dovecot submission refuses SIZE above ~40 MB; Exchange Online's
// default limit is 35 MB) streamed from a file with bounded memory (peak RSS
// growth measured in this process) and arriving byte for byte; BDAT against Dovecot
// submission, which offers CHUNKING; two messages pipelined across the end
// of DATA (RFC 2920 3.1) against Postfix's smtpd; and two defects found from
// outside (issue 11): an EHLO name with CR LF that put a second command on
// the wire, and a timeout that named the time left instead of the deadline.
#include <filesystem>
#include <fstream>
#include <future>

#include <gtest/gtest.h>

#include "mailoauth/smtp/client.hpp"
#include "mailoauth/smtp/submit.hpp"

#include "../local_peer.hpp"
#include "../stack_env.hpp"
#include "smtp_test_support.hpp"

namespace mailoauth::smtp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace test_support;
using testing::LocalPeer;
using testing::StackEnv;

// --- measuring memory -------------------------------------------------------

// AddressSanitizer keeps freed memory in quarantine (256 MB by default), so
// under it peak RSS says nothing about what the code holds: ~19 MB there for
// ~0.1 MB in a normal build, measured.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// A field of /proc/self/status in KiB ("VmHWM", "VmRSS").
std::int64_t status_kib(const std::string& field) {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with(field + ":")) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

// Resets the peak RSS to the current RSS (Linux >= 4.0, "5" to clear_refs).
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

// --- a large message with dots and CRLFs on chunk boundaries ---------------

// ~`size` bytes, CRLF line endings. At every 64 KiB file offset (where the
// client's reader starts a chunk) a line starts with "..", and at every other
// one a CR ends the chunk and its LF starts the next.
std::string large_message(const std::string& marker, const std::string& to, std::size_t size) {
  std::string message = fmt::format(
      "From: <{}>\r\nTo: <{}>\r\nSubject: {}\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
      "Message-ID: <{}@example.test>\r\n\r\n",
      StackEnv::get()["USER1"], to, marker, marker);
  message.reserve(size + 256);
  std::size_t line = 0;
  while (message.size() < size) {
    const std::size_t to_boundary = kMessageChunkSize - message.size() % kMessageChunkSize;
    if (to_boundary <= 100 && to_boundary >= 2) {
      const bool split_crlf = (message.size() / kMessageChunkSize) % 2 == 1;
      if (split_crlf) {
        message += std::string(to_boundary - 1, 'y') + "\r";
        message += "\n..a line after a CRLF split across chunks\r\n";
      } else {
        message += std::string(to_boundary - 2, 'x') + "\r\n";
        message += "..two dots at a chunk start\r\n";
      }
      continue;
    }
    message += fmt::format("{}line {} of the large message, streamed in chunks\r\n",
                           line % 7 == 0 ? "." : "", line);
    ++line;
  }
  return message;
}

// The delivered file in `user`'s Maildir whose header names `marker`, or "".
std::string maildir_file_with(const std::string& user, const std::string& marker) {
  const fs::path maildir =
      fs::path(StackEnv::get()["STACK_DIR"]) / "mail" / "example.test" / user / "Maildir";
  for (const char* folder : {"new", "cur"}) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(maildir / folder, error)) {
      std::ifstream file(entry.path(), std::ios::binary);
      std::string head(4096, '\0');
      file.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<std::size_t>(file.gcount()));
      if (head.find(marker) != std::string::npos) return entry.path().string();
    }
  }
  return {};
}

std::string read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

TEST(SmtpStreamingTest, ThirtySixMegabytesFromAFileWithBoundedMemoryArriveByteForByte) {
  const auto& env = StackEnv::get();
  const std::string marker = unique_marker();
  const std::string message = large_message(marker, env["USER2"], 36 * 1024 * 1024);
  const fs::path path = fs::temp_directory_path() / (marker + ".eml");
  {
    std::ofstream file(path, std::ios::binary);
    file.write(message.data(), static_cast<std::streamsize>(message.size()));
    ASSERT_TRUE(file.good()) << "could not write " << path;
  }
  auto source = MessageSource::from_file(path);
  ASSERT_TRUE(source.has_value()) << source.error().describe();

  std::vector<Outgoing> messages(1);
  messages[0].envelope.from = env["USER1"];
  messages[0].envelope.recipients = {env["USER2"]};
  messages[0].source = std::move(*source);
  ClientSettings settings = stack_settings();
  settings.trace = nullptr;  // the trace of a 50 MB dialogue is not the point

  // A session without messages first, so that what a first connection
  // loads (libcurl for the token, OpenSSL's tables, the CA file) is not
  // counted against the message.
  auto warm_up = submit(settings, token_auth(sasl::Mechanism::XOAuth2), {});
  ASSERT_TRUE(warm_up.has_value()) << warm_up.error().describe();
  ASSERT_TRUE(reset_peak_rss()) << "this kernel cannot reset VmHWM";
  const std::int64_t before = status_kib("VmRSS");
  auto result = submit(settings, token_auth(sasl::Mechanism::XOAuth2), std::move(messages));
  const std::int64_t peak = status_kib("VmHWM");
  fs::remove(path);
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  ASSERT_TRUE(result->reports[0]->delivered()) << result->reports[0]->outcome().error().describe();
  // The old send() held the message and its stuffed copy: over 72 MB here.
  if (!kAddressSanitizer) {
    EXPECT_LT(peak - before, 20 * 1024) << "peak RSS grew by " << (peak - before) << " KiB";
  }
  RecordProperty("peak_rss_growth_kib", std::to_string(peak - before));
  std::printf("peak RSS growth while sending %zu bytes: %lld KiB\n", message.size(),
              static_cast<long long>(peak - before));

  // Dovecot's Maildir keeps LF line endings; otherwise the bytes are ours,
  // after the Return-Path and Received lines the servers put on top.
  std::string delivered_path;
  for (int attempt = 0; attempt < 300 && delivered_path.empty(); ++attempt) {
    delivered_path = maildir_file_with("bob", marker);
    if (delivered_path.empty()) std::this_thread::sleep_for(200ms);
  }
  ASSERT_FALSE(delivered_path.empty()) << "the message did not reach bob's Maildir within 60 s";
  std::string expected;
  expected.reserve(message.size());
  for (std::size_t at = 0; at < message.size(); ++at) {
    if (message[at] == '\r' && at + 1 < message.size() && message[at + 1] == '\n') continue;
    expected += message[at];
  }
  // Another test's IMAP session may move the file from new/ to cur/ between
  // finding and reading it (Dovecot does on SELECT): find it again then.
  std::string delivered = read_whole_file(delivered_path);
  for (int attempt = 0; attempt < 20 && delivered.size() < expected.size(); ++attempt) {
    std::this_thread::sleep_for(100ms);
    delivered_path = maildir_file_with("bob", marker);
    if (!delivered_path.empty()) delivered = read_whole_file(delivered_path);
  }
  ASSERT_GE(delivered.size(), expected.size());
  EXPECT_TRUE(delivered.ends_with(expected))
      << "the delivered message differs; sizes " << delivered.size() << " and " << expected.size();
  // 36 MiB in bob's INBOX would slow the other tests; Dovecot deletes it
  // (removing the file under its feet confuses the next reader of the folder).
  for (bool expunge : {true, false}) {
    asio::io_context context;
    auto answer = asio::co_spawn(
        context, fetch_by_subject(env["USER2"], env["USER2_PASSWORD"], marker, expunge),
        asio::use_future);
    context.run();
    auto text = answer.get();
    ASSERT_TRUE(text.has_value()) << text.error().describe();
    if (!expunge) {
      EXPECT_TRUE(text->empty()) << "the large message is still in bob's INBOX";
    }
  }
}

// --- BDAT ------------------------------------------------------------------

TEST(SmtpStreamingTest, BdatChunksAgainstDovecotArriveLikeData) {
  const std::string marker = unique_marker();
  // Bare LFs, dots, and more than one chunk; BDAT makes line endings CRLF
  // and stuffs nothing.
  std::string body;
  for (int i = 0; body.size() < 3 * kMessageChunkSize; ++i) {
    body += fmt::format("{}bdat line {}\n", i % 5 == 0 ? "." : "", i);
  }
  body += "last line without newline";
  std::vector<Outgoing> messages;
  messages.push_back(simple_message(marker, {StackEnv::get()["USER1"]}, body));
  ClientSettings settings = stack_settings();
  settings.chunking = true;
  auto result = submit(settings, token_auth(sasl::Mechanism::XOAuth2), std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
  ASSERT_TRUE(result->capabilities.has("CHUNKING"));
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  EXPECT_TRUE(result->reports[0]->delivered()) << trace_text();
  const std::string dialogue = trace_text();
  EXPECT_EQ(dialogue.find("C: DATA"), std::string::npos) << dialogue;
  EXPECT_GE(std::count_if(g_trace.begin(), g_trace.end(),
                          [](const std::string& l) { return l.starts_with("C: BDAT "); }),
            4)
      << dialogue;
  EXPECT_NE(dialogue.find(" LAST\n"), std::string::npos) << dialogue;

  std::string expected_body;
  for (char c : body) {
    if (c == '\n') expected_body += '\r';
    expected_body += c;
  }
  expected_body += "\r\n";
  const std::string delivered = alice_message(marker);
  ASSERT_FALSE(delivered.empty()) << "not delivered";
  EXPECT_NE(delivered.find("\r\n\r\n" + expected_body), std::string::npos)
      << delivered.substr(0, 2000);
}

// A peer that offers CHUNKING (no PIPELINING), refuses the first BDAT of the
// first message and takes everything else: the client must stop that
// message, report the refusal, and RSET before the next one.
TEST(SmtpStreamingTest, RefusedBdatChunkStopsTheMessageAndTheNextStartsClean) {
  std::promise<std::string> received;
  LocalPeer peer([&received](int fd) {
    std::string seen;
    LocalPeer::send_text(fd, "220 peer.example ESMTP\r\n");
    LocalPeer::read_line(fd);
    LocalPeer::send_text(fd, "250-peer.example\r\n250 CHUNKING\r\n");
    int chunks = 0;
    for (std::string line; !(line = LocalPeer::read_line(fd)).empty();) {
      seen += line + "\n";
      if (line == "QUIT") {
        LocalPeer::send_text(fd, "221 bye\r\n");
        break;
      }
      if (line.starts_with("BDAT ")) {
        std::size_t left = std::stoul(line.substr(5));
        for (char c = 0; left > 0 && ::recv(fd, &c, 1, 0) == 1;) --left;
        ++chunks;
        LocalPeer::send_text(fd, chunks == 1               ? "552 5.3.4 chunk refused\r\n"
                                 : line.ends_with(" LAST") ? "250 2.0.0 queued as PEER2\r\n"
                                                           : "250 2.0.0 more\r\n");
        continue;
      }
      LocalPeer::send_text(fd, "250 ok\r\n");
    }
    received.set_value(seen);
  });
  ClientSettings settings = peer_settings(peer.port(), Security::None);
  settings.chunking = true;
  std::vector<Outgoing> messages;
  messages.push_back(simple_message("one", {"a@example.test"}, std::string(200'000, 'x')));
  messages.push_back(simple_message("two", {"b@example.test"}));
  auto result = submit(settings, std::nullopt, std::move(messages));
  const std::string seen = received.get_future().get();
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  EXPECT_FALSE(result->reports[0]->delivered());
  EXPECT_EQ(result->reports[0]->data_reply->code, 552);
  EXPECT_FALSE(result->reports[0]->outcome().has_value());
  ASSERT_TRUE(result->reports[1].has_value()) << result->reports[1].error().describe();
  EXPECT_TRUE(result->reports[1]->delivered()) << trace_text();
  EXPECT_EQ(result->reports[1]->queue_id, "PEER2");
  // One chunk of message one, no more; RSET before message two's MAIL.
  const std::size_t rset = seen.find("RSET\nMAIL FROM:");
  EXPECT_NE(rset, std::string::npos) << seen;
  EXPECT_EQ(seen.find("BDAT", seen.find("BDAT") + 1), seen.find("BDAT", rset)) << seen;
}

// --- pipelining across messages ---------------------------------------------

TEST(SmtpStreamingTest, NextEnvelopeRidesWithTheEndOfDataAgainstPostfix) {
  const auto& env = StackEnv::get();
  const std::string marker = unique_marker();
  ClientSettings settings = stack_settings();
  settings.port = port_of("POSTFIX_SMTP_PORT");
  settings.security = Security::None;
  settings.pipeline_messages = true;
  std::vector<Outgoing> messages;
  messages.push_back(simple_message(marker + "a", {env["USER1"]}));
  messages.push_back(simple_message(marker + "b", {env["REFUSED_RECIPIENT"], env["USER1"]}));
  auto result = submit(settings, std::nullopt, std::move(messages));
  ASSERT_TRUE(result.has_value()) << result.error().describe() << "\n" << trace_text();
  ASSERT_EQ(result->reports.size(), 2u);
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  ASSERT_TRUE(result->reports[1].has_value()) << result->reports[1].error().describe();
  EXPECT_TRUE(result->reports[0]->delivered()) << trace_text();
  EXPECT_TRUE(result->reports[1]->delivered()) << trace_text();
  EXPECT_EQ(result->reports[0]->recipients.size(), 1u);
  ASSERT_EQ(result->reports[1]->recipients.size(), 2u);
  EXPECT_FALSE(result->reports[1]->recipients[0].accepted());
  EXPECT_NE(result->reports[0]->queue_id, result->reports[1]->queue_id);

  // In the trace (which is in wire order), message b's MAIL, RCPTs and DATA
  // follow message a's dot before the server's reply to it: one write.
  const auto dot = std::find(g_trace.begin(), g_trace.end(), "C: .");
  ASSERT_NE(dot, g_trace.end()) << trace_text();
  ASSERT_GE(std::distance(dot, g_trace.end()), 5) << trace_text();
  EXPECT_TRUE(std::next(dot, 1)->starts_with("C: MAIL FROM:")) << trace_text();
  EXPECT_TRUE(std::next(dot, 2)->starts_with("C: RCPT TO:")) << trace_text();
  EXPECT_TRUE(std::next(dot, 3)->starts_with("C: RCPT TO:")) << trace_text();
  EXPECT_EQ(*std::next(dot, 4), "C: DATA") << trace_text();
  EXPECT_TRUE(std::next(dot, 5)->starts_with("S: 250 2.0.0 Ok: queued as")) << trace_text();
  EXPECT_FALSE(alice_message(marker + "a").empty());
  EXPECT_FALSE(alice_message(marker + "b").empty());
}

// A peer that answers message a's dot only after it has read message b's
// MAIL: a client that waited for the reply first would never see one.
TEST(SmtpStreamingTest, NextEnvelopeIsWrittenBeforeTheFinalReplyIsRead) {
  std::promise<std::string> received;
  LocalPeer peer([&received](int fd) {
    std::string seen;
    LocalPeer::send_text(fd, "220 peer.example ESMTP\r\n");
    LocalPeer::read_line(fd);
    LocalPeer::send_text(fd, "250-peer.example\r\n250 PIPELINING\r\n");
    int messages = 0;
    for (std::string line; !(line = LocalPeer::read_line(fd)).empty();) {
      if (line == "QUIT") {
        LocalPeer::send_text(fd, "221 bye\r\n");
        break;
      }
      if (line == "DATA") {
        LocalPeer::send_text(fd, "354 go\r\n");
        while (LocalPeer::read_line(fd) != ".") {
        }
        ++messages;
        if (messages == 1) {
          seen = LocalPeer::read_line(fd);  // the next MAIL, or "" after 5 s
          LocalPeer::send_text(fd, "250 ok: queued as FIRST\r\n250 ok\r\n");
        } else {
          LocalPeer::send_text(fd, "250 ok: queued as SECOND\r\n");
        }
        continue;
      }
      LocalPeer::send_text(fd, "250 ok\r\n");
    }
    received.set_value(seen);
  });
  ClientSettings settings = peer_settings(peer.port(), Security::None);
  settings.pipeline_messages = true;
  std::vector<Outgoing> messages;
  messages.push_back(simple_message("one", {"a@example.test"}));
  messages.push_back(simple_message("two", {"b@example.test"}));
  auto result = submit(settings, std::nullopt, std::move(messages));
  EXPECT_EQ(received.get_future().get(), "MAIL FROM:<" + StackEnv::get()["USER1"] + ">")
      << trace_text();
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  ASSERT_TRUE(result->reports[0].has_value()) << result->reports[0].error().describe();
  ASSERT_TRUE(result->reports[1].has_value()) << result->reports[1].error().describe();
  EXPECT_EQ(result->reports[0]->queue_id, "FIRST");
  EXPECT_EQ(result->reports[1]->queue_id, "SECOND");
}

// --- issue 11 ---------------------------------------------------------------

TEST(SmtpStreamingTest, HeloWithALineBreakIsRefusedBeforeAnythingIsSent) {
  ClientSettings settings = stack_settings();
  settings.helo_name = "vm\r\nRSET";
  auto result = submit(settings, token_auth(sasl::Mechanism::XOAuth2), {});
  ASSERT_FALSE(result.has_value()) << trace_text();
  EXPECT_EQ(result.error().error_class(), core::ErrorClass::Config);
  EXPECT_EQ(result.error().code(), "smtp.bad_helo_name");
  EXPECT_NE(result.error().message().find("vm\\r\\nRSET"), std::string::npos)
      << result.error().describe();
  EXPECT_NE(result.error().message().find("--helo"), std::string::npos)
      << result.error().describe();
  EXPECT_TRUE(g_trace.empty()) << "something reached the wire:\n" << trace_text();
}

TEST(SmtpStreamingTest, TimeoutNamesTheDeadlineThatWasSet) {
  std::atomic<bool> stop{false};
  LocalPeer peer([&stop](int fd) {
    // The greeting, one byte every 200 ms, never finished (bounded: 30 bytes).
    const std::string greeting = "220 a very slow server that never ends its line";
    for (std::size_t i = 0; i < 30 && !stop; ++i) {
      LocalPeer::send_text(fd, greeting.substr(i, 1));
      std::this_thread::sleep_for(200ms);
    }
  });
  ClientSettings settings = peer_settings(peer.port());
  settings.timeouts.greeting = 1s;
  auto result = submit(settings, std::nullopt, {});
  stop = true;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.timeout");
  EXPECT_NE(result.error().message().find("within 1 s"), std::string::npos)
      << result.error().describe();
  EXPECT_NE(result.error().message().find("the greeting"), std::string::npos)
      << result.error().describe();
}

}  // namespace
}  // namespace mailoauth::smtp
