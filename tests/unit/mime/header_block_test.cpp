// The header-block scanner: fields, folding, both line endings, the body's
// offset, and refusals for what is not a header (NUL, a line without ':',
// a continuation first, a block over the limit).
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

}  // namespace
}  // namespace mailoauth::mime
