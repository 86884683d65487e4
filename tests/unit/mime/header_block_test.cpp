// The header-block scanner: fields, folding, both line endings, the body's
// offset, and refusals for what is not a header (NUL, a line without ':',
// a continuation first, a block over the limit); the addresses a To or Cc
// field names, and the Bcc field written for Graph from the envelope.
#include "mailoauth/mime/header_block.hpp"

#include <gtest/gtest.h>

namespace mailoauth::mime {
namespace {

TEST(HeaderBlockTest, FieldsFoldingAndBody) {
  const std::string message =
      "From: a@b\r\nSubject: one\r\n two\r\nX-Empty:\r\n\r\nbody\r\nline 2\r\n";
  auto block = parse_header_block(message);
  ASSERT_TRUE(block.has_value()) << block.error().describe();
  ASSERT_EQ(block->fields.size(), 3u);
  EXPECT_EQ(block->find("subject")->value, "one two");
  EXPECT_EQ(block->find("X-EMPTY")->value, "");
  EXPECT_EQ(block->line_end, "\r\n");
  EXPECT_EQ(message.substr(block->body_offset), "body\r\nline 2\r\n");
  EXPECT_EQ(remove_fields(message, *block, "SUBJECT"),
            "From: a@b\r\nX-Empty:\r\n\r\nbody\r\nline 2\r\n");
}

TEST(HeaderBlockTest, LfOnlyAndNoBody) {
  auto block = parse_header_block("From: a@b\nTo: c@d");
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(block->line_end, "\n");
  EXPECT_EQ(block->fields.size(), 2u);
  EXPECT_EQ(prepend_fields("From: a@b\nTo: c@d", *block, {"Date: x"}),
            "Date: x\nFrom: a@b\nTo: c@d");
}

TEST(HeaderBlockTest, WhatIsNotAHeaderIsRefused) {
  EXPECT_FALSE(parse_header_block("").has_value());
  EXPECT_FALSE(parse_header_block("\r\nbody").has_value());
  EXPECT_FALSE(parse_header_block(" folded first\r\n\r\n").has_value());
  EXPECT_FALSE(parse_header_block("no colon here\r\n\r\n").has_value());
  EXPECT_FALSE(parse_header_block(std::string("From: a\0b\r\n\r\n", 13)).has_value());
  EXPECT_FALSE(parse_header_block("Bad Name: x\r\n\r\n").has_value());
  EXPECT_FALSE(parse_header_block("X: " + std::string(5000, 'a') + "\r\n\r\n", 4096).has_value());
}

TEST(HeaderBlockTest, AddressesInAnAddressList) {
  using List = std::vector<std::string>;
  EXPECT_EQ(addresses_in("a@x"), List{"a@x"});
  EXPECT_EQ(addresses_in("\"Doe, Jane\" <jane@x>, k@y (Kay, \\) <not@this>), <@relay:r@z>"),
            (List{"jane@x", "k@y", "r@z"}));
  EXPECT_EQ(addresses_in("Team: a@x, =?utf-8?q?B=C3=A9?= <b@x>;, c@y"),
            (List{"a@x", "b@x", "c@y"}));
  EXPECT_EQ(addresses_in("undisclosed-recipients:;"), List{});
  EXPECT_EQ(addresses_in("\"odd <one>\"@x,  spaced@y  "), (List{"\"odd <one>\"@x", "spaced@y"}));
  EXPECT_EQ(addresses_in(""), List{});
}

TEST(HeaderBlockTest, EnvelopeRecipientsMissingFromToAndCcGoToOneBcc) {
  const std::string message =
      "From: a@x\r\nTo: Jane <JANE@x>\r\nSubject: s\r\nCc: c@x,\r\n d@x\r\n\r\nbody\r\n";
  auto written = write_envelope_bcc(message, {"jane@x", "c@x", "bob@y", "carol@z", "BOB@y"});
  ASSERT_TRUE(written.has_value()) << written.error().describe();
  EXPECT_EQ(written->message, "Bcc: bob@y, carol@z\r\n" + message);
  EXPECT_EQ(written->bcc, (std::vector<std::string>{"bob@y", "carol@z"}));
  EXPECT_EQ(written->header_only, std::vector<std::string>{"d@x"});

  auto nothing_missing = write_envelope_bcc(message, {"jane@x", "c@x", "d@x"});
  ASSERT_TRUE(nothing_missing.has_value());
  EXPECT_EQ(nothing_missing->message, message);
  EXPECT_TRUE(nothing_missing->bcc.empty());
}

TEST(HeaderBlockTest, AnOldBccIsReplacedAndLongOnesAreFolded) {
  const std::string message = "Bcc: old@x,\n other@x\nTo: t@x\n\nbody\n";
  std::vector<std::string> envelope{"t@x"};
  for (int i = 0; i < 6; ++i)
    envelope.push_back("recipient-number-" + std::to_string(i) + "@example.com");
  auto written = write_envelope_bcc(message, envelope);
  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(written->message.find("old@x"), std::string::npos) << written->message;
  EXPECT_TRUE(written->message.ends_with("To: t@x\n\nbody\n"));
  for (std::size_t start = 0; start < written->message.size();) {
    const auto end = written->message.find('\n', start);
    EXPECT_LE(end - start, 78u) << written->message;
    start = end + 1;
  }
  auto block = parse_header_block(written->message);
  ASSERT_TRUE(block.has_value());
  EXPECT_EQ(addresses_in(block->find("bcc")->value),
            std::vector<std::string>(envelope.begin() + 1, envelope.end()));

  auto only_old = write_envelope_bcc(message, {"t@x"});
  ASSERT_TRUE(only_old.has_value());
  EXPECT_EQ(only_old->message, "To: t@x\n\nbody\n") << "no one outside the envelope";
}

TEST(HeaderBlockTest, AnEnvelopeAddressThatWouldBreakTheFieldIsRefused) {
  for (const char* bad : {"a@x\r\nX-Injected: 1", "a@x, b@y", "", "<a@x>"}) {
    auto written = write_envelope_bcc("To: t@x\r\n\r\n", {bad});
    ASSERT_FALSE(written.has_value()) << bad;
    EXPECT_EQ(written.error().code(), "mime.bad_address");
  }
  EXPECT_TRUE(write_envelope_bcc("To: t@x\r\n\r\n", {"\"a b\"@x"}).has_value());
}

}  // namespace
}  // namespace mailoauth::mime
