// Upload session arithmetic and the nextExpectedRanges parser: chunk sizes
// Graph takes (multiples of 320 KiB under 4 MB), the ranges of a 15 MiB
// attachment, the Content-Range text, both spellings of the answer (Graph's
// "N-" and the Outlook service's "N"), and answers that must be refused.
#include "mailoauth/graph/upload_ranges.hpp"

#include <gtest/gtest.h>

namespace mailoauth::graph {
namespace {

TEST(UploadRanges, ChunkSizesAreMultiplesOf320KiBUnder4MB) {
  EXPECT_EQ(upload_chunk_size(0), 327'680u);
  EXPECT_EQ(upload_chunk_size(1'000'000), 983'040u);
  EXPECT_EQ(upload_chunk_size(4 * 1024 * 1024), 3'932'160u);
  EXPECT_EQ(upload_chunk_size(100u << 20), 3'932'160u);
  EXPECT_LT(upload_chunk_size(100u << 20), kMaxUploadChunk);
}

TEST(UploadRanges, AFifteenMebibyteAttachmentInOrderWithNoGap) {
  const std::uint64_t total = 15u << 20;
  const std::uint64_t chunk = upload_chunk_size(4u << 20);
  std::vector<std::string> ranges;
  for (std::uint64_t offset = 0; offset < total;) {
    const ByteRange range = chunk_at(offset, total, chunk);
    ranges.push_back(content_range(range, total));
    offset = range.last + 1;
  }
  EXPECT_EQ(ranges, (std::vector<std::string>{
                        "bytes 0-3932159/15728640", "bytes 3932160-7864319/15728640",
                        "bytes 7864320-11796479/15728640", "bytes 11796480-15728639/15728640"}));
  EXPECT_EQ(chunk_at(10, 11, chunk).size(), 1u);
}

TEST(UploadRanges, BothSpellingsOfNextExpectedRanges) {
  auto graph = parse_next_expected_ranges(R"({"nextExpectedRanges":["2097152-"]})");
  ASSERT_TRUE(graph.has_value()) << graph.error().describe();
  ASSERT_EQ(graph->size(), 1u);
  EXPECT_EQ((*graph)[0].first, 2'097'152u);
  EXPECT_FALSE((*graph)[0].last.has_value());

  auto outlook = parse_next_expected_ranges(
      R"({"@odata.context":"x","ExpirationDateTime":"2019-09-25T01:09:30Z","NextExpectedRanges":["2097152"]})");
  ASSERT_TRUE(outlook.has_value());
  EXPECT_EQ((*outlook)[0].first, 2'097'152u);

  auto several = parse_next_expected_ranges(R"({"nextExpectedRanges":["12-55","0-10"]})");
  ASSERT_TRUE(several.has_value());
  EXPECT_EQ((*several)[0].last, std::optional<std::uint64_t>(55));
  EXPECT_EQ(resume_offset(*several, 100).value(), 0u);
}

TEST(UploadRanges, MalformedAnswersAreRefused) {
  for (const char* body :
       {"", "[]", "{}", R"({"nextExpectedRanges":"0-"})", R"({"nextExpectedRanges":[5]})",
        R"({"nextExpectedRanges":["-5"]})", R"({"nextExpectedRanges":["9-3"]})",
        R"({"nextExpectedRanges":["1x"]})", R"({"nextExpectedRanges":["99999999999999999999"]})",
        R"({"nextExpectedRanges":["1--2"]})"}) {
    EXPECT_FALSE(parse_next_expected_ranges(body).has_value()) << body;
  }
  std::string many = R"({"nextExpectedRanges":[)";
  for (std::size_t i = 0; i <= kMaxExpectedRanges; ++i)
    many += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  EXPECT_FALSE(parse_next_expected_ranges(many + "]}").has_value());
  EXPECT_FALSE(parse_next_expected_ranges(std::string(kMaxUploadAnswer + 1, ' ')).has_value());
}

TEST(UploadRanges, ResumeOffsetMustBeInsideTheAttachment) {
  EXPECT_FALSE(resume_offset({}, 10).has_value());
  EXPECT_FALSE(resume_offset({{10, std::nullopt}}, 10).has_value());
  EXPECT_EQ(resume_offset({{9, std::nullopt}}, 10).value(), 9u);
}

}  // namespace
}  // namespace mailoauth::graph
