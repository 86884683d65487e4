// Built messages read back with GMime: the UTF-8 subject and display names
// come back as written (RFC 2047 on the wire, ASCII only), Bcc is in the
// envelope and nowhere in the header, lines end in CRLF, Date and Message-ID
// are there, attachments are base64 with their (RFC 2231) file name and type;
// bad input is refused before anything is built. Ready-made messages keep
// every byte except an added Date / Message-ID and, with -t, the Bcc field.
#include "mailoauth/mime/message.hpp"

#include <fstream>

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#pragma GCC diagnostic ignored "-Wold-style-cast"  // GMime's GObject macros

namespace mailoauth::mime {
namespace {

namespace fs = std::filesystem;

struct Parsed {
  GMimeMessage* message = nullptr;
  ~Parsed() {
    if (message != nullptr) g_object_unref(message);
  }
};

void parse(const std::string& data, Parsed& parsed) {
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(data.data(), data.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  parsed.message = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(stream);
}

MessageDraft draft() {
  MessageDraft d;
  d.from = {"Jürgen Müller", "scanner@contoso.example"};
  d.to = {{"", "alice@example.test"}};
  d.cc = {{"Bob", "bob@example.test"}};
  d.bcc = {{"", "audit@example.test"}};
  d.subject = "Prüfbericht — März ✓";
  d.text_body = "Grüße aus dem Drucker.\n";
  d.date = core::Clock::WallTime(std::chrono::seconds(1'800'000'000));
  return d;
}

TEST(MessageTest, HeadersRoundTripAndBccIsOnlyInTheEnvelope) {
  auto built = build_message(draft());
  ASSERT_TRUE(built.has_value()) << built.error().describe();
  const std::string& data = built->data;
  EXPECT_EQ(data.find("audit@example.test"), std::string::npos) << "Bcc leaked into the message";
  EXPECT_EQ(built->recipients, (std::vector<std::string>{"alice@example.test", "bob@example.test",
                                                         "audit@example.test"}));
  EXPECT_EQ(built->envelope_from, "scanner@contoso.example");
  EXPECT_FALSE(built->needs_8bitmime) << "bodies should be quoted-printable";
  EXPECT_FALSE(built->needs_smtputf8);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n') {
      ASSERT_TRUE(i > 0 && data[i - 1] == '\r') << "bare LF at " << i;
    }
    ASSERT_LT(static_cast<unsigned char>(data[i]), 0x80) << "8-bit byte at " << i;
  }
  EXPECT_NE(data.find("Date: Fri, 15 Jan 2027 08:00:00 +0000"), std::string::npos) << data;
  EXPECT_NE(data.find("Message-Id: <" + built->message_id + ">"), std::string::npos) << data;
  EXPECT_TRUE(built->message_id.ends_with("@contoso.example"));

  Parsed parsed;
  parse(data, parsed);
  ASSERT_NE(parsed.message, nullptr);
  EXPECT_STREQ(g_mime_message_get_subject(parsed.message), "Prüfbericht — März ✓");
  InternetAddressList* from = g_mime_message_get_from(parsed.message);
  ASSERT_EQ(internet_address_list_length(from), 1);
  EXPECT_STREQ(internet_address_get_name(internet_address_list_get_address(from, 0)),
               "Jürgen Müller");
  EXPECT_EQ(internet_address_list_length(g_mime_message_get_bcc(parsed.message)), 0);
  GMimeObject* body = g_mime_message_get_body(parsed.message);
  ASSERT_TRUE(GMIME_IS_TEXT_PART(body));
  char* text = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
  EXPECT_STREQ(text, "Grüße aus dem Drucker.\r\n");  // canonical CRLF, as SMTP wants
  EXPECT_STREQ(g_mime_message_get_message_id(parsed.message), built->message_id.c_str());
  g_free(text);
}

TEST(MessageTest, AlternativeBodiesAndAnAttachment) {
  const fs::path file = fs::temp_directory_path() / "mailoauth-Prüfbericht.pdf";
  std::ofstream(file, std::ios::binary) << std::string("%PDF-1.4\0\x01\x02 binary", 18);
  MessageDraft d = draft();
  d.html_body = "<p>Grüße</p>";
  d.attachments.push_back({file, "Prüfbericht.pdf", ""});
  auto built = build_message(d);
  fs::remove(file);
  ASSERT_TRUE(built.has_value()) << built.error().describe();
  EXPECT_NE(built->data.find("multipart/mixed"), std::string::npos);
  EXPECT_NE(built->data.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(built->data.find("application/pdf"), std::string::npos);
  EXPECT_NE(built->data.find("Content-Transfer-Encoding: base64"), std::string::npos);
  Parsed parsed;
  parse(built->data, parsed);
  ASSERT_NE(parsed.message, nullptr);
  GMimeMultipart* mixed = GMIME_MULTIPART(g_mime_message_get_mime_part(parsed.message));
  ASSERT_EQ(g_mime_multipart_get_count(mixed), 2);
  GMimePart* attachment = GMIME_PART(g_mime_multipart_get_part(mixed, 1));
  EXPECT_STREQ(g_mime_part_get_filename(attachment), "Prüfbericht.pdf");
  EXPECT_TRUE(g_mime_part_is_attachment(attachment));
}

TEST(MessageTest, BadInputIsRefusedBeforeBuilding) {
  MessageDraft d = draft();
  d.subject = "hello\r\nBcc: victim@example.test";
  EXPECT_EQ(build_message(d).error().code(), "mime.bad_subject");
  d = draft();
  d.to = {{"", "not an address"}};
  EXPECT_EQ(build_message(d).error().code(), "mime.bad_address");
  d = draft();
  d.to.clear();
  d.cc.clear();
  d.bcc.clear();
  EXPECT_EQ(build_message(d).error().code(), "mime.no_recipient");
  d = draft();
  d.attachments.push_back({"/nonexistent/file.pdf", "", ""});
  EXPECT_EQ(build_message(d).error().code(), "mime.attachment");
}

TEST(MessageTest, AddressLists) {
  auto boxes = parse_address_list(
      "\"Doe, Jane\" <jane@example.test>, =?utf-8?q?J=C3=BCrgen?= <j@example.test>, "
      "team: a@example.test, b@example.test;");
  ASSERT_TRUE(boxes.has_value()) << boxes.error().describe();
  ASSERT_EQ(boxes->size(), 4u);
  EXPECT_EQ((*boxes)[0].name, "Doe, Jane");
  EXPECT_EQ((*boxes)[1].name, "Jürgen");
  EXPECT_EQ((*boxes)[3].address, "b@example.test");
  EXPECT_FALSE(parse_address_list("a@b\r\nBcc: c@d").has_value());
  EXPECT_FALSE(parse_address_list("").has_value());
}

TEST(RawMessageTest, MissingDateAndMessageIdAreAddedAndNothingElseChanges) {
  const std::string input =
      "From: Cron <cron@host.example>\nTo: ops@example.test\n"
      "Subject: backup\n\nall good\n";
  RawOptions options;
  options.now = core::Clock::WallTime(std::chrono::seconds(1'800'000'000));
  auto message = prepare_raw_message(input, {"ops@example.test"}, options);
  ASSERT_TRUE(message.has_value()) << message.error().describe();
  const std::string expected_prefix =
      "Date: Fri, 15 Jan 2027 08:00:00 +0000\nMessage-ID: <" + message->message_id + ">\n";
  EXPECT_EQ(message->data, expected_prefix + input);
  EXPECT_EQ(message->envelope_from, "cron@host.example");
  EXPECT_EQ(message->recipients, (std::vector<std::string>{"ops@example.test"}));

  const std::string complete =
      "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@y>\r\n"
      "From: a@example.test\r\n\r\n\xc3\xa4\r\n";
  auto untouched = prepare_raw_message(complete, {"b@example.test"}, options);
  ASSERT_TRUE(untouched.has_value());
  EXPECT_EQ(untouched->data, complete);
  EXPECT_EQ(untouched->message_id, "x@y");
  EXPECT_TRUE(untouched->needs_8bitmime);
}

TEST(RawMessageTest, RecipientsFromHeadersAndFoldedBccRemoved) {
  const std::string input =
      "From: app@example.test\r\nTo: a@example.test\r\nCc: \"B\" <b@example.test>\r\n"
      "Bcc: hidden@example.test,\r\n\tsecond-hidden@example.test\r\nSubject: t\r\n\r\nbody\r\n";
  RawOptions options;
  options.recipients_from_headers = true;
  auto message = prepare_raw_message(input, {}, options);
  ASSERT_TRUE(message.has_value()) << message.error().describe();
  EXPECT_EQ(message->recipients,
            (std::vector<std::string>{"a@example.test", "b@example.test", "hidden@example.test",
                                      "second-hidden@example.test"}));
  EXPECT_EQ(message->data.find("hidden"), std::string::npos) << message->data;
  EXPECT_TRUE(message->data.ends_with("Subject: t\r\n\r\nbody\r\n"));
}

TEST(RawMessageTest, RefusalsSayWhatIsMissing) {
  RawOptions options;
  EXPECT_EQ(prepare_raw_message("From: a@b.example\n\nx", {}, options).error().code(),
            "mime.no_recipient");
  EXPECT_EQ(prepare_raw_message("To: a@b.example\n\nx", {"c@d.example"}, options).error().code(),
            "mime.no_sender");
  EXPECT_EQ(prepare_raw_message("not a header\n\nx", {"c@d.example"}, options).error().code(),
            "mime.bad_header");
  options.max_size = 10;
  EXPECT_EQ(prepare_raw_message("From: a@b.example\n\nlong body", {"c@d.example"}, options)
                .error()
                .code(),
            "mime.too_large");
}

TEST(ContentTypeTest, ByExtension) {
  EXPECT_EQ(content_type_for("Report.PDF"), "application/pdf");
  EXPECT_EQ(content_type_for("scan.jpeg"), "image/jpeg");
  EXPECT_EQ(content_type_for("data"), "application/octet-stream");
  EXPECT_EQ(content_type_for(".pdf"), "application/octet-stream");
}

}  // namespace
}  // namespace mailoauth::mime
