// The relay's delivery status notifications read back with GMime: a
// multipart/report of three parts (text, message/delivery-status,
// text/rfc822-headers), every field of the report, the Status taken from the
// reply's enhanced code; and what a hostile upstream reply cannot do — add a
// field or a part (CR/LF), make a line longer than 998 octets, put 8-bit
// bytes into the US-ASCII report. A property test feeds random replies.
#include "mailoauth/relay/delivery_status_notification.hpp"

#include <map>
#include <random>

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#pragma GCC diagnostic ignored "-Wold-style-cast"  // GMime's GObject macros

namespace mailoauth::relay {
namespace {

using namespace std::chrono_literals;

// A GMime message parsed from bytes, released at the end of the scope.
struct Parsed {
  GMimeMessage* message = nullptr;
  explicit Parsed(const std::string& data) {
    static const bool initialised = [] {
      g_mime_init();
      return true;
    }();
    (void)initialised;
    GMimeStream* stream = g_mime_stream_mem_new_with_buffer(data.data(), data.size());
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    message = g_mime_parser_construct_message(parser, nullptr);
    g_object_unref(parser);
    g_object_unref(stream);
  }
  ~Parsed() {
    if (message != nullptr) g_object_unref(message);
  }
  Parsed(const Parsed&) = delete;
  Parsed& operator=(const Parsed&) = delete;

  std::string header(const char* name) const {
    const char* value = g_mime_object_get_header(GMIME_OBJECT(message), name);
    return value == nullptr ? std::string("<none>") : std::string(value);
  }
  GMimeMultipart* report() const {
    GMimeObject* body = g_mime_message_get_mime_part(message);
    return GMIME_IS_MULTIPART(body) ? GMIME_MULTIPART(body) : nullptr;
  }
};

std::string mime_type(GMimeObject* part) {
  GMimeContentType* type = g_mime_object_get_content_type(part);
  return std::string(g_mime_content_type_get_media_type(type)) + "/" +
         g_mime_content_type_get_media_subtype(type);
}

// A part's content, transfer encoding undone (a message part: its text).
std::string content_of(GMimeObject* part) {
  GMimeStream* out = g_mime_stream_mem_new();
  if (GMIME_IS_PART(part)) {
    GMimeDataWrapper* wrapper = g_mime_part_get_content(GMIME_PART(part));
    g_mime_data_wrapper_write_to_stream(wrapper, out);
  } else if (GMIME_IS_MESSAGE_PART(part)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
    g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, out);
  }
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
  std::string text(reinterpret_cast<const char*>(bytes->data), bytes->len);
  g_object_unref(out);
  return text;
}

// The report's field groups (per message, then one per recipient), each
// parsed by GMime as a header block: name -> value (unfolded).
std::vector<std::map<std::string, std::string>> report_groups(const std::string& report) {
  std::vector<std::map<std::string, std::string>> groups;
  std::size_t position = 0;
  while (position < report.size()) {
    std::size_t end = report.find("\r\n\r\n", position);
    if (end == std::string::npos) end = report.size();
    const std::string group = report.substr(position, end - position);
    position = end + 4;
    if (group.find_first_not_of("\r\n") == std::string::npos) continue;
    Parsed parsed(group + "\r\n\r\n");
    std::map<std::string, std::string> fields;
    GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(parsed.message));
    for (int i = 0; i < g_mime_header_list_get_count(list); ++i) {
      GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
      std::string value = g_mime_header_get_value(header);
      fields[g_mime_header_get_name(header)] = value;
    }
    groups.push_back(std::move(fields));
  }
  return groups;
}

DsnInput failed_input() {
  DsnInput input;
  input.reporting_mta = "relay.example.test";
  input.original_queue_id = "18f3a2b4c5d6e7-3fa2c1";
  input.arrival = core::Clock::WallTime(std::chrono::seconds(1'796'400'000));
  input.now = input.arrival + 90s;
  input.from = "relay@contoso.example";
  input.to = "scanner@contoso.example";
  input.message_id = "dsn-failed-1.18f3a2b4c5d6e7-3fa2c1@relay.example.test";
  input.remote_mta = "smtp.office365.com";
  input.queue_lifetime = 5 * 24h;
  DsnRecipient recipient;
  recipient.address = "nobody@example.test";
  recipient.action = DsnAction::Failed;
  recipient.reply = "550 5.1.1 <nobody@example.test>: Recipient address rejected";
  recipient.from_upstream = true;
  recipient.last_attempt = input.now;
  input.recipients.push_back(recipient);
  input.original_header =
      "Received: from scanner (192.0.2.7)\r\n\tby relay.example.test\r\n"
      "From: Scanner <scanner@contoso.example>\r\nTo: nobody@example.test\r\n"
      "Subject: Scan 42\r\nMessage-ID: <scan42@contoso.example>";
  return input;
}

// Every line ends in CRLF and is at most 998 octets before it.
void expect_wire_lines(const std::string& data) {
  std::size_t position = 0;
  while (position < data.size()) {
    const std::size_t end = data.find("\r\n", position);
    ASSERT_NE(end, std::string::npos) << "the last line has no CRLF";
    const std::string_view line(data.data() + position, end - position);
    EXPECT_LE(line.size(), 998u) << line.substr(0, 80);
    EXPECT_EQ(line.find('\r'), std::string_view::npos) << "a bare CR";
    EXPECT_EQ(line.find('\n'), std::string_view::npos) << "a bare LF";
    position = end + 2;
  }
}

bool all_ascii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

TEST(DeliveryStatusNotificationTest, IsAMultipartReportOfThreeParts) {
  const std::string data = compose_delivery_status_notification(failed_input());
  expect_wire_lines(data);
  Parsed parsed(data);
  ASSERT_NE(parsed.message, nullptr);
  EXPECT_EQ(parsed.header("From"), "Mail Delivery System <relay@contoso.example>");
  EXPECT_EQ(parsed.header("To"), "<scanner@contoso.example>");
  EXPECT_EQ(parsed.header("Subject"), "Undelivered Mail Returned to Sender");
  EXPECT_EQ(parsed.header("Auto-Submitted"), "auto-replied");
  EXPECT_EQ(parsed.header("Message-ID"), "<dsn-failed-1.18f3a2b4c5d6e7-3fa2c1@relay.example.test>");
  EXPECT_EQ(parsed.header("Date"), "Fri, 04 Dec 2026 16:01:30 +0000");
  GMimeMultipart* report = parsed.report();
  ASSERT_NE(report, nullptr);
  GMimeContentType* type = g_mime_object_get_content_type(GMIME_OBJECT(report));
  char* mime_type_text = g_mime_content_type_get_mime_type(type);  // allocated: g_free
  EXPECT_STREQ(mime_type_text, "multipart/report");
  g_free(mime_type_text);
  EXPECT_STREQ(g_mime_content_type_get_parameter(type, "report-type"), "delivery-status");
  ASSERT_EQ(g_mime_multipart_get_count(report), 3);
  EXPECT_EQ(mime_type(g_mime_multipart_get_part(report, 0)), "text/plain");
  EXPECT_EQ(mime_type(g_mime_multipart_get_part(report, 1)), "message/delivery-status");
  EXPECT_EQ(mime_type(g_mime_multipart_get_part(report, 2)), "text/rfc822-headers");

  const std::string text = content_of(g_mime_multipart_get_part(report, 0));
  EXPECT_NE(text.find("<nobody@example.test>"), std::string::npos) << text;
  EXPECT_NE(text.find("The mail server smtp.office365.com replied:"), std::string::npos) << text;
  EXPECT_NE(text.find("550 5.1.1 <nobody@example.test>: Recipient address rejected"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("5.1.x means the address does not exist"), std::string::npos) << text;

  const std::string headers = content_of(g_mime_multipart_get_part(report, 2));
  EXPECT_NE(headers.find("Subject: Scan 42\r\n"), std::string::npos) << headers;
  EXPECT_NE(headers.find("\tby relay.example.test\r\n"), std::string::npos) << headers;
}

TEST(DeliveryStatusNotificationTest, EveryReportField) {
  DsnInput input = failed_input();
  DsnRecipient second;
  second.address = "refused@example.test";
  second.reply = "554 5.7.1 Relay access denied";
  second.from_upstream = true;
  second.last_attempt = input.now;
  input.recipients.push_back(second);
  Parsed parsed(compose_delivery_status_notification(input));
  ASSERT_NE(parsed.report(), nullptr);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 3u) << "one group per message, one per recipient";
  EXPECT_EQ(groups[0].at("Reporting-MTA"), "dns; relay.example.test");
  EXPECT_EQ(groups[0].at("Arrival-Date"), "Fri, 04 Dec 2026 16:00:00 +0000");
  EXPECT_EQ(groups[0].at("X-Mailoauth-Queue-ID"), "18f3a2b4c5d6e7-3fa2c1");
  EXPECT_EQ(groups[1].at("Final-Recipient"), "rfc822; nobody@example.test");
  EXPECT_EQ(groups[1].at("Action"), "failed");
  EXPECT_EQ(groups[1].at("Status"), "5.1.1");
  EXPECT_EQ(groups[1].at("Remote-MTA"), "dns; smtp.office365.com");
  EXPECT_EQ(groups[1].at("Diagnostic-Code"),
            "smtp; 550 5.1.1 <nobody@example.test>: Recipient address rejected");
  EXPECT_EQ(groups[1].at("Last-Attempt-Date"), "Fri, 04 Dec 2026 16:01:30 +0000");
  EXPECT_FALSE(groups[1].contains("Will-Retry-Until"));
  EXPECT_EQ(groups[2].at("Final-Recipient"), "rfc822; refused@example.test");
  EXPECT_EQ(groups[2].at("Status"), "5.7.1");
}

TEST(DeliveryStatusNotificationTest, DelayWarningSaysUntilWhen) {
  DsnInput input = failed_input();
  input.recipients[0].action = DsnAction::Delayed;
  input.recipients[0].reply = "451 4.3.0 Temporary lookup failure";
  Parsed parsed(compose_delivery_status_notification(input));
  EXPECT_EQ(parsed.header("Subject"), "Delayed Mail (still being retried)");
  ASSERT_NE(parsed.report(), nullptr);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].at("Action"), "delayed");
  EXPECT_EQ(groups[1].at("Status"), "4.3.0");
  EXPECT_EQ(groups[1].at("Will-Retry-Until"), "Wed, 09 Dec 2026 16:00:00 +0000");
  const std::string text = content_of(g_mime_multipart_get_part(parsed.report(), 0));
  EXPECT_NE(text.find("you do not need to send it again"), std::string::npos) << text;
}

TEST(DeliveryStatusNotificationTest, OwnReasonsHaveNoRemoteMta) {
  DsnInput input = failed_input();
  input.recipients[0].reply = "connect to 127.0.0.1:25: Connection refused";
  input.recipients[0].from_upstream = false;
  input.recipients[0].expired = true;
  Parsed parsed(compose_delivery_status_notification(input));
  ASSERT_NE(parsed.report(), nullptr);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_FALSE(groups[1].contains("Remote-MTA"));
  EXPECT_EQ(groups[1].at("Status"), "4.4.7");
  EXPECT_EQ(groups[1].at("Diagnostic-Code"),
            "X-mailoauth; connect to 127.0.0.1:25: Connection refused");
  const std::string text = content_of(g_mime_multipart_get_part(parsed.report(), 0));
  EXPECT_NE(text.find("within the queue lifetime (5 days)"), std::string::npos) << text;
}

TEST(DeliveryStatusNotificationTest, StatusComesFromTheEnhancedCode) {
  EXPECT_EQ(dsn_status("550 5.1.1 no such user", DsnAction::Failed, false), "5.1.1");
  EXPECT_EQ(dsn_status("550 5.7.139 Authentication unsuccessful", DsnAction::Failed, false),
            "5.7.139");
  EXPECT_EQ(dsn_status("550 no such user", DsnAction::Failed, false), "5.0.0");
  EXPECT_EQ(dsn_status("550 4.1.1 mismatched class", DsnAction::Failed, false), "5.0.0");
  EXPECT_EQ(dsn_status("550 5.1.1234 too many digits", DsnAction::Failed, false), "5.0.0");
  EXPECT_EQ(dsn_status("Graph 400 ErrorInvalidRecipients", DsnAction::Failed, false), "5.0.0");
  EXPECT_EQ(dsn_status("451 4.3.0 try later", DsnAction::Delayed, false), "4.3.0");
  EXPECT_EQ(dsn_status("451 try later", DsnAction::Delayed, false), "4.0.0");
  EXPECT_EQ(dsn_status("451 4.4.1 no answer", DsnAction::Failed, true), "4.4.1");
  EXPECT_EQ(dsn_status("connection refused", DsnAction::Failed, true), "4.4.7");
}

TEST(DeliveryStatusNotificationTest, HostileReplyAddsNoFieldAndNoPart) {
  DsnInput input = failed_input();
  const std::string boundary_guess =
      "--=_mailoauth-dsn-dsnfailed118f3a2b4c5d6e73fa2c1relayexampletest";
  input.recipients[0].reply = "550 5.1.1 bad\r\nInjected: yes\r\n\r\n" + boundary_guess +
                              "\r\nContent-Type: text/html\r\n\r\n<b>x</b>\nBcc: victim@x\r";
  input.recipients[0].address = "nobody@example.test\r\nBcc: victim@example.test";
  input.to = "scanner@contoso.example>\r\nBcc: <victim@example.test";
  const std::string data = compose_delivery_status_notification(input);
  expect_wire_lines(data);
  Parsed parsed(data);
  EXPECT_EQ(parsed.header("Bcc"), "<none>");
  ASSERT_NE(parsed.report(), nullptr);
  ASSERT_EQ(g_mime_multipart_get_count(parsed.report()), 3);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 2u);
  for (const auto& group : groups) {
    EXPECT_FALSE(group.contains("Injected"));
    EXPECT_FALSE(group.contains("Bcc"));
    EXPECT_FALSE(group.contains("Content-Type"));
  }
  EXPECT_EQ(groups[1].at("Diagnostic-Code").rfind("smtp; 550 5.1.1 bad Injected: yes ", 0), 0u)
      << groups[1].at("Diagnostic-Code");
  EXPECT_EQ(groups[1].at("Status"), "5.1.1");
}

TEST(DeliveryStatusNotificationTest, LongRepliesAreFoldedAndCut) {
  DsnInput input = failed_input();
  std::string words;
  while (words.size() < 3000) words += "word ";
  input.recipients[0].reply = "550 5.7.1 " + words + std::string(2500, 'x');
  const std::string data = compose_delivery_status_notification(input);
  expect_wire_lines(data);
  Parsed parsed(data);
  ASSERT_NE(parsed.report(), nullptr);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 2u);
  const std::string& code = groups[1].at("Diagnostic-Code");
  EXPECT_EQ(code.rfind("smtp; 550 5.7.1 word word ", 0), 0u);
  EXPECT_GT(code.size(), 5000u) << "nothing is dropped, only folded";
  // The text part quotes the reply whole, as quoted-printable with soft breaks.
  const std::string text = content_of(g_mime_multipart_get_part(parsed.report(), 0));
  EXPECT_NE(text.find(std::string(2500, 'x')), std::string::npos);
}

TEST(DeliveryStatusNotificationTest, NonAsciiReplyIsEscapedInTheReportAndKeptInTheText) {
  DsnInput input = failed_input();
  input.recipients[0].reply = "550 5.1.1 Empf\xC3\xA4nger unbekannt \xFF";
  input.original_header +=
      "\r\nX-Note: gr\xC3\xBC\xC3\x9F"
      "e";
  const std::string data = compose_delivery_status_notification(input);
  expect_wire_lines(data);
  EXPECT_TRUE(all_ascii(data)) << "the notification needs no 8BITMIME";
  Parsed parsed(data);
  ASSERT_NE(parsed.report(), nullptr);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].at("Diagnostic-Code"), "smtp; 550 5.1.1 Empf\\xC3\\xA4nger unbekannt \\xFF");
  const std::string text = content_of(g_mime_multipart_get_part(parsed.report(), 0));
  EXPECT_NE(text.find("Empf\xC3\xA4nger unbekannt \\xFF"), std::string::npos) << text;
  const std::string headers = content_of(g_mime_multipart_get_part(parsed.report(), 2));
  EXPECT_NE(headers.find("X-Note: gr\xC3\xBC\xC3\x9F"
                         "e"),
            std::string::npos)
      << headers;
}

TEST(DeliveryStatusNotificationTest, NonAsciiRecipientIsUtf8AddrXtext) {
  DsnInput input = failed_input();
  input.recipients[0].address = "j\xC3\xBCrgen+x@example.test";
  Parsed parsed(compose_delivery_status_notification(input));
  ASSERT_NE(parsed.report(), nullptr);
  const auto groups = report_groups(content_of(g_mime_multipart_get_part(parsed.report(), 1)));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].at("Final-Recipient"), "utf-8; j\\x{FC}rgen\\x{2B}x@example.test");
}

TEST(DeliveryStatusNotificationTest, TruncatedHeaderIsSaid) {
  DsnInput input = failed_input();
  input.header_truncated = true;
  Parsed parsed(compose_delivery_status_notification(input));
  ASSERT_NE(parsed.report(), nullptr);
  const std::string text = content_of(g_mime_multipart_get_part(parsed.report(), 0));
  EXPECT_NE(text.find("cut after 100 KB"), std::string::npos) << text;
}

TEST(DeliveryStatusNotificationTest, HeaderSafeValues) {
  EXPECT_EQ(header_safe("a\r\nb\tc\x01  d "), "a b c d");
  EXPECT_EQ(header_safe("\xC3\xA4"), "\\xC3\\xA4");
}

// Property: whatever bytes the upstream replies, the notification parses as
// three parts, the report has exactly one group per recipient with the
// fields the relay wrote and no others, and every line is CRLF-ended and
// at most 998 octets. Seeded, so a failure repeats.
TEST(DeliveryStatusNotificationTest, RandomRepliesKeepTheStructure) {
  std::mt19937 random(20261205);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 1200);
  std::uniform_int_distribution<int> pick(0, 9);
  const std::string alphabet[] = {"\r\n", "\r", "\n", " ", "--", "=_", ":", "\t", "5.1.1 ", "\xC3"};
  for (int round = 0; round < 300; ++round) {
    DsnInput input = failed_input();
    input.recipients.resize(1 + round % 3, input.recipients[0]);
    for (DsnRecipient& recipient : input.recipients) {
      std::string reply = round % 2 ? "550 " : "";
      const int size = length(random);
      while (static_cast<int>(reply.size()) < size) {
        if (pick(random) < 3) {
          reply += alphabet[pick(random)];
        } else {
          reply += static_cast<char>(byte(random));
        }
      }
      recipient.reply = reply;
    }
    const std::string data = compose_delivery_status_notification(input);
    SCOPED_TRACE(round);
    expect_wire_lines(data);
    Parsed parsed(data);
    ASSERT_NE(parsed.report(), nullptr);
    ASSERT_EQ(g_mime_multipart_get_count(parsed.report()), 3);
    const std::string report = content_of(g_mime_multipart_get_part(parsed.report(), 1));
    EXPECT_TRUE(all_ascii(report));
    const auto groups = report_groups(report);
    ASSERT_EQ(groups.size(), input.recipients.size() + 1);
    for (std::size_t i = 1; i < groups.size(); ++i) {
      for (const auto& [name, value] : groups[i]) {
        EXPECT_TRUE(name == "Final-Recipient" || name == "Action" || name == "Status" ||
                    name == "Remote-MTA" || name == "Diagnostic-Code" ||
                    name == "Last-Attempt-Date")
            << name;
      }
      EXPECT_EQ(groups[i].at("Action"), "failed");
    }
  }
}

}  // namespace
}  // namespace mailoauth::relay
