// The sender rewrite (relay/sender_rewrite): From replaced by the route's
// mailbox with the display name kept, Reply-To with the original From added
// only when asked and absent, Sender dropped, new lines folded and free of
// anything a display name could inject, every other byte kept; the envelope
// sender rewritten except the null sender; and the streaming reader that
// applies it to a message read in small chunks, leaving the body byte for
// byte and a header it cannot rewrite as it was.
#include "mailoauth/relay/sender_rewrite.hpp"

#include <gtest/gtest.h>

#include "mailoauth/relay/sender_rewriting_reader.hpp"

#include "piece_reader.hpp"

namespace mailoauth::relay {
namespace {

HeaderRewrite to_mailbox(bool reply_to = false) {
  return HeaderRewrite{"relay@contoso.com", reply_to};
}

std::string rewritten(std::string_view header, const HeaderRewrite& rewrite) {
  auto result = rewrite_header(header, rewrite);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().describe());
  return result ? result->text : std::string();
}

TEST(SenderRewriteTest, ReplacesTheAddressAndKeepsTheDisplayName) {
  const std::string header =
      "Received: from printer\r\n\tby relay; Sat, 5 Dec 2026 01:00:00 +0000\r\n"
      "From: \"Scanner, 3rd floor\" <scanner@contoso.com>\r\n"
      "Subject: Scan\r\n"
      "\r\n";
  EXPECT_EQ(rewritten(header, to_mailbox()),
            "Received: from printer\r\n\tby relay; Sat, 5 Dec 2026 01:00:00 +0000\r\n"
            "From: \"Scanner, 3rd floor\" <relay@contoso.com>\r\n"
            "Subject: Scan\r\n"
            "\r\n");
}

TEST(SenderRewriteTest, AddsReplyToWithTheOriginalOnlyWhenAskedAndAbsent) {
  const std::string header = "From: Scanner <scanner@contoso.com>\nTo: a@b.com\n\n";
  auto result = rewrite_header(header, to_mailbox(true));
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->from_rewritten);
  EXPECT_TRUE(result->reply_to_added);
  EXPECT_EQ(result->text,
            "From: Scanner <relay@contoso.com>\nReply-To: Scanner <scanner@contoso.com>\n"
            "To: a@b.com\n\n")
      << "the message's own LF line ends are kept";
  EXPECT_EQ(rewritten(header, to_mailbox(false)),
            "From: Scanner <relay@contoso.com>\nTo: a@b.com\n\n");
  const std::string with_reply_to =
      "From: scanner@contoso.com\r\nReply-To: helpdesk@contoso.com\r\n\r\n";
  EXPECT_EQ(rewritten(with_reply_to, to_mailbox(true)),
            "From: relay@contoso.com\r\nReply-To: helpdesk@contoso.com\r\n\r\n");
}

TEST(SenderRewriteTest, DropsSenderAndEveryFurtherFrom) {
  EXPECT_EQ(
      rewritten("Sender: scanner@contoso.com\r\nFrom: a@x.com\r\nFrom: b@x.com\r\nX: y\r\n\r\n",
                to_mailbox()),
      "From: relay@contoso.com\r\nX: y\r\n\r\n");
}

TEST(SenderRewriteTest, ListsGroupsAndBareAddressesGetNoDisplayName) {
  for (const char* from : {"a@x.com", "a@x.com (Alice)", "Alice <a@x.com>, Bob <b@x.com>",
                           "Team: a@x.com;", "Broken <a@x.com"}) {
    const std::string header = std::string("From: ") + from + "\r\n\r\n";
    const std::string out = rewritten(header, to_mailbox(true));
    EXPECT_TRUE(out.starts_with("From: relay@contoso.com\r\nReply-To: ")) << out;
    EXPECT_NE(out.find(std::string("Reply-To: ") + from + "\r\n"), std::string::npos) << out;
  }
}

TEST(SenderRewriteTest, ADisplayNameThatIsAnAddressIsQuoted) {
  EXPECT_EQ(rewritten("From: scanner@contoso.com <scanner@contoso.com>\r\n\r\n", to_mailbox()),
            "From: \"scanner@contoso.com\" <relay@contoso.com>\r\n\r\n");
  EXPECT_EQ(rewritten("From: \"a@b\" <scanner@contoso.com>\r\n\r\n", to_mailbox()),
            "From: \"a@b\" <relay@contoso.com>\r\n\r\n")
      << "already quoted";
}

TEST(SenderRewriteTest, LeavesAMessageAlreadyFromTheMailbox) {
  const std::string header = "From: Relay <RELAY@contoso.com>\r\nSender: x@y.com\r\n\r\n";
  auto result = rewrite_header(header, to_mailbox(true));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->from_rewritten);
  EXPECT_EQ(result->text, header);
}

TEST(SenderRewriteTest, AddsFromWhenThereIsNone) {
  EXPECT_EQ(rewritten("Received: x\r\nSubject: s\r\n\r\n", to_mailbox(true)),
            "Received: x\r\nSubject: s\r\nFrom: relay@contoso.com\r\n\r\n");
  // Found by the fuzz target: a last line ended by a bare CR is ended properly first.
  EXPECT_EQ(rewritten("Subject: s\r", to_mailbox()), "Subject: s\nFrom: relay@contoso.com\n");
}

TEST(SenderRewriteTest, NothingFromTheInputCanStartAField) {
  // A bare CR inside a folded display name, and a tab: they become spaces.
  const std::string header = "From: \"Evil\rBcc: victim@x.com\"\r\n\t<a@x.com>\r\n\r\n";
  const std::string out = rewritten(header, to_mailbox(true));
  EXPECT_EQ(out.find("\rBcc"), std::string::npos) << out;
  for (std::size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '\r') {
      EXPECT_EQ(out[i + 1], '\n') << "a CR only ends a line: " << out;
    }
  }
  EXPECT_TRUE(out.starts_with("From: \"Evil Bcc: victim@x.com\" <relay@contoso.com>\r\n")) << out;
}

TEST(SenderRewriteTest, FoldsLongFieldsAtSpaces) {
  const std::string name(30, 'n');
  const std::string header =
      "From: " + name + " " + name + " " + name + " <scanner@contoso.com>\r\n\r\n";
  const std::string out = rewritten(header, to_mailbox(true));
  std::size_t start = 0;
  for (std::size_t end = out.find("\r\n"); end != std::string::npos;
       start = end + 2, end = out.find("\r\n", start)) {
    EXPECT_LE(end - start, 78u) << out;
  }
  EXPECT_NE(out.find("\r\n " + name), std::string::npos) << "folded before a word: " << out;
}

TEST(SenderRewriteTest, RefusesWhatIsNotAHeaderOrTooLong) {
  EXPECT_FALSE(rewrite_header("not a header\r\n\r\n", to_mailbox()));
  EXPECT_FALSE(rewrite_header("From: a@x.com\r\nX: " + std::string(200, 'x') + "\r\n\r\n",
                              to_mailbox(), 100));
}

TEST(SenderRewriteTest, NoRewriteLeavesTheHeaderAlone) {
  const std::string header = "not a header at all";
  EXPECT_EQ(rewritten(header, HeaderRewrite{}), header);
}

TEST(SenderRewriteTest, AddressesAndTargets) {
  EXPECT_TRUE(is_rewrite_address("relay@contoso.com"));
  for (const char* bad : {"", "relay", "@x.com", "a@", "a b@x.com", "<a@x.com>", "a@x.com\r\n",
                          "\"a\"@x.com", "a@x.com,b@x.com"}) {
    EXPECT_FALSE(is_rewrite_address(bad)) << bad;
  }
  SenderRewriteConfig config;
  EXPECT_EQ(*envelope_from_for(config, "box@x.com", "dev@y.com"), "dev@y.com") << "off";
  config.envelope_from.enabled = true;
  EXPECT_EQ(*envelope_from_for(config, "box@x.com", "dev@y.com"), "box@x.com");
  EXPECT_EQ(*envelope_from_for(config, "box@x.com", ""), "") << "a notification stays one";
  config.envelope_from.address = "other@x.com";
  EXPECT_EQ(*envelope_from_for(config, "box@x.com", "dev@y.com"), "other@x.com");
  config.header_from.enabled = true;
  config.keep_original_in_reply_to = true;
  auto header = header_rewrite_for(config, "box@x.com");
  ASSERT_TRUE(header.has_value());
  EXPECT_EQ(header->from, "box@x.com");
  EXPECT_TRUE(header->reply_to_original);
  auto bad = header_rewrite_for(config, "not an address");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().error_class(), core::ErrorClass::Config);
}

TEST(SenderRewriteTest, HeaderSectionEnd) {
  EXPECT_EQ(header_section_end("A: b\r\n\r\nbody"), 8u);
  EXPECT_EQ(header_section_end("A: b\n\nbody"), 6u);
  EXPECT_EQ(header_section_end("A: b\r\n"), std::nullopt);
  EXPECT_EQ(header_section_end("\r\nbody"), 2u);
}

std::string read_all(smtp::MessageReader& reader, std::size_t max) {
  std::string out;
  for (;;) {
    auto chunk = reader.read(max);
    EXPECT_TRUE(chunk.has_value());
    if (!chunk || chunk->empty()) return out;
    out.append(*chunk);
  }
}

TEST(SenderRewritingReaderTest, RewritesTheHeaderAndStreamsTheBodyByteForByte) {
  std::string body;
  for (int i = 0; i < 5000; ++i) body += "line " + std::to_string(i) + " \xc3\xa9\r\n";
  const std::string message =
      "Received: by relay\r\nFrom: Scanner <scanner@contoso.com>\r\nSubject: s\r\n\r\n" + body;
  for (const std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
    SenderRewritingReader reader(std::make_unique<PieceReader>(message, piece), to_mailbox(true));
    const std::string out = read_all(reader, 1000);
    EXPECT_EQ(out,
              "Received: by relay\r\nFrom: Scanner <relay@contoso.com>\r\n"
              "Reply-To: Scanner <scanner@contoso.com>\r\nSubject: s\r\n\r\n" +
                  body)
        << "pieces of " << piece;
    EXPECT_TRUE(reader.outcome().from_rewritten);
    ASSERT_TRUE(reader.rewind());
    EXPECT_EQ(read_all(reader, 333), out) << "the same again after a rewind";
  }
}

TEST(SenderRewritingReaderTest, AHeaderPastTheLimitGoesOutAsItCame) {
  const std::string message = "From: a@x.com\r\nX: " + std::string(5000, 'x') + "\r\n\r\nbody\r\n";
  SenderRewritingReader reader(std::make_unique<PieceReader>(message, 100), to_mailbox(), 1024);
  EXPECT_EQ(read_all(reader, 64), message);
  EXPECT_FALSE(reader.outcome().from_rewritten);
  EXPECT_NE(reader.outcome().skipped.find("longer than the rewrite limit"), std::string::npos);
}

TEST(SenderRewritingReaderTest, AMessageThatIsNotRfc5322GoesOutAsItCame) {
  const std::string message = "From scanner Sat Dec  5\r\nFrom: a@x.com\r\n\r\nbody";
  SenderRewritingReader reader(std::make_unique<PieceReader>(message, 10), to_mailbox());
  EXPECT_EQ(read_all(reader, 64), message);
  EXPECT_FALSE(reader.outcome().skipped.empty());
}

TEST(SenderRewritingReaderTest, AMessageWithoutBody) {
  SenderRewritingReader reader(std::make_unique<PieceReader>("From: a@x.com\r\n", 3), to_mailbox());
  EXPECT_EQ(read_all(reader, 64), "From: relay@contoso.com\r\n");
}

}  // namespace
}  // namespace mailoauth::relay
