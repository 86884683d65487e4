// Which parts leave the draft: the largest attachments first and only as
// many as needed; text and HTML bodies never; inline images with their
// Content-ID; a multipart left empty keeps a placeholder part; the draft is
// valid MIME for GMime, small, and otherwise byte for byte the message; the
// taken parts decode to the bytes that were attached.
#include "mailoauth/graph/draft_split.hpp"

#include <gmime/gmime.h>
#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/mime/transfer_decoder.hpp"

#pragma GCC diagnostic ignored "-Wold-style-cast"  // GMime's GObject macros

namespace mailoauth::graph {
namespace {

std::string bytes_of(std::size_t size, int seed) {
  std::string bytes(size, '\0');
  std::uint32_t state = static_cast<std::uint32_t>(seed) * 2654435761u + 1;
  for (auto& byte : bytes) {
    state = state * 1664525u + 1013904223u;
    byte = static_cast<char>(state >> 24);
  }
  return bytes;
}

std::string folded_base64(const std::string& bytes) {
  const std::string encoded = core::base64::encode(bytes);
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); i += 76) out += encoded.substr(i, 76) + "\r\n";
  return out;
}

std::string attachment_part(const std::string& name, const std::string& bytes) {
  return "--mix\r\nContent-Type: application/octet-stream; name=\"" + name +
         "\"\r\nContent-Disposition: attachment; filename=\"" + name +
         "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + folded_base64(bytes);
}

const std::string kHeader =
    "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n";
const std::string kBodies =
    "--mix\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
    "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<img src=\"cid:logo@x\">\r\n"
    "--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Transfer-Encoding: "
    "base64\r\n\r\n" +
    folded_base64(bytes_of(1000, 9)) + "--rel--\r\n";

std::string decoded(const TakenAttachment& taken) {
  mime::TransferDecoder decoder(taken.encoded, taken.transfer_encoding);
  std::string out;
  while (decoder.read(out, 1 << 20) > 0) {
  }
  return out;
}

int gmime_part_count(const std::string& data, bool& parsed_ok) {
  g_mime_init();
  GMimeStream* stream = g_mime_stream_mem_new_with_buffer(data.data(), data.size());
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(stream);
  parsed_ok = message != nullptr && GMIME_IS_MULTIPART(g_mime_message_get_mime_part(message));
  int count = 0;
  if (parsed_ok)
    count = g_mime_multipart_get_count(GMIME_MULTIPART(g_mime_message_get_mime_part(message)));
  if (message != nullptr) g_object_unref(message);
  return count;
}

TEST(DraftSplit, TheLargestAttachmentsLeaveUntilTheDraftFits) {
  const std::string big = bytes_of(900'000, 1);
  const std::string middle = bytes_of(300'000, 2);
  const std::string small = bytes_of(20'000, 3);
  const std::string message = kHeader + kBodies + attachment_part("big.bin", big) +
                              attachment_part("middle.bin", middle) +
                              attachment_part("small.bin", small) + "--mix--\r\n";
  DraftLimits limits;
  limits.max_draft_size = 200'000;
  auto split = split_for_draft(message, limits);
  ASSERT_TRUE(split.has_value()) << split.error().describe();
  ASSERT_EQ(split->attachments.size(), 2u) << "big and middle; small stays in the draft";
  EXPECT_EQ(split->attachments[0].name, "big.bin");
  EXPECT_EQ(split->attachments[1].name, "middle.bin");
  EXPECT_EQ(split->attachments[0].size, big.size());
  EXPECT_EQ(decoded(split->attachments[0]), big);
  EXPECT_EQ(decoded(split->attachments[1]), middle);
  EXPECT_FALSE(split->attachments[0].is_inline);
  EXPECT_LE(split->draft.size(), limits.max_draft_size);
  EXPECT_EQ(split->draft, kHeader + kBodies + attachment_part("small.bin", small) + "--mix--\r\n")
      << "everything else byte for byte";
  bool parsed = false;
  EXPECT_EQ(gmime_part_count(split->draft, parsed), 2) << "the bodies and small.bin";
  EXPECT_TRUE(parsed);
}

TEST(DraftSplit, AMessageThatFitsKeepsEverythingAndBodiesNeverLeave) {
  const std::string message =
      kHeader + kBodies + attachment_part("a.bin", bytes_of(10, 4)) + "--mix--\r\n";
  auto split = split_for_draft(message, {});
  ASSERT_TRUE(split.has_value());
  EXPECT_TRUE(split->attachments.empty());
  EXPECT_EQ(split->draft, message);

  const std::string long_text = kHeader + "--mix\r\nContent-Type: text/plain\r\n\r\n" +
                                std::string(600'000, 'x') + "\r\n" +
                                attachment_part("a.bin", bytes_of(10, 4)) + "--mix--\r\n";
  DraftLimits limits;
  limits.max_draft_size = 500'000;
  auto refused = split_for_draft(long_text, limits);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.draft_too_large");
  EXPECT_EQ(refused.error().error_class(), core::ErrorClass::Permanent);
}

TEST(DraftSplit, InlineImagesKeepTheirContentIdAndAnEmptiedMultipartStaysValid) {
  const std::string image = bytes_of(400'000, 5);
  const std::string message = kHeader +
                              "--mix\r\nContent-Type: image/jpeg\r\nContent-ID: <photo@x>\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\n" +
                              folded_base64(image) + "--mix--\r\n";
  DraftLimits limits;
  limits.max_draft_size = 100'000;
  auto split = split_for_draft(message, limits);
  ASSERT_TRUE(split.has_value()) << split.error().describe();
  ASSERT_EQ(split->attachments.size(), 1u);
  EXPECT_TRUE(split->attachments[0].is_inline);
  EXPECT_EQ(split->attachments[0].content_id, "photo@x");
  EXPECT_EQ(split->attachments[0].name, "attachment-1");
  EXPECT_EQ(split->attachments[0].content_type, "image/jpeg");
  EXPECT_EQ(decoded(split->attachments[0]), image);
  EXPECT_NE(split->draft.find("--mix\r\nContent-Type: text/plain"), std::string::npos)
      << split->draft;
  bool parsed = false;
  EXPECT_EQ(gmime_part_count(split->draft, parsed), 1);
  EXPECT_TRUE(parsed);
}

TEST(DraftSplit, ASinglePartMessageCannotBeSplit) {
  DraftLimits limits;
  limits.max_draft_size = 10;
  auto refused = split_for_draft("Subject: x\r\n\r\n" + std::string(100, 'y'), limits);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.draft_too_large");
}

}  // namespace
}  // namespace mailoauth::graph
