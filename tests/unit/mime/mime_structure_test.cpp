// The MIME tree as byte ranges: nested multiparts, each part's header
// facts, bodies that end before the delimiter's line end, a line that only
// starts like the delimiter, bare-LF messages, a missing close delimiter,
// and the limits on depth and part count.
#include "mailoauth/mime/mime_structure.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mailoauth::mime {
namespace {

const std::string kMessage =
    "From: a@example.test\r\nTo: b@example.test\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n\r\n"
    "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
    "--inner\r\nContent-Type: text/html\r\n\r\n<p>hello</p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf; name=\"r.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
    "Content-Transfer-Encoding: Base64\r\n\r\n"
    "JVBERi0x\r\n"
    "--outerX is not a delimiter\r\n"
    "--outer\r\n"
    "Content-Type: image/png\r\nContent-ID: <logo@x>\r\n\r\nPNG\r\n"
    "--outer--\r\nepilogue\r\n";

std::string_view body(const std::string& message, const Entity& entity) {
  return std::string_view(message).substr(entity.body_begin, entity.end - entity.body_begin);
}

TEST(MimeStructure, NestedPartsWithTheirFactsAndExactBodies) {
  auto parsed = parse_mime_structure(kMessage);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  const auto& e = parsed->entities;
  ASSERT_EQ(e.size(), 6u);
  EXPECT_EQ(e[0].content_type, "multipart/mixed");
  EXPECT_EQ(e[0].children, (std::vector<std::size_t>{1, 2, 3}));
  EXPECT_EQ(e[1].content_type, "multipart/alternative");
  EXPECT_EQ(e[2].file_name, "report.pdf") << "the disposition's filename wins over name";
  EXPECT_EQ(e[2].disposition, "attachment");
  EXPECT_EQ(e[2].transfer_encoding, "base64");
  EXPECT_EQ(body(kMessage, e[2]), "JVBERi0x\r\n--outerX is not a delimiter");
  EXPECT_EQ(e[3].content_id, "logo@x");
  EXPECT_EQ(body(kMessage, e[3]), "PNG");
  EXPECT_EQ(e[4].content_type, "text/plain");
  EXPECT_EQ(body(kMessage, e[4]), "hello");
  EXPECT_EQ(body(kMessage, e[5]), "<p>hello</p>");
  EXPECT_EQ(e[5].depth, 2u);
  EXPECT_EQ(std::string_view(kMessage).substr(e[2].part_begin, 8), "--outer\r");
}

TEST(MimeStructure, BareLineFeedsAndAMissingCloseDelimiter) {
  const std::string message =
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b\nContent-Type: "
      "text/x\n\nlast\n";
  auto parsed = parse_mime_structure(message);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->entities.size(), 3u);
  EXPECT_EQ(parsed->line_end, "\n");
  EXPECT_EQ(body(message, parsed->entities[1]), "first") << "a part with no header";
  EXPECT_EQ(body(message, parsed->entities[2]), "last\n") << "runs to the parent's end";
}

TEST(MimeStructure, ANonMultipartMessageIsOneLeaf) {
  auto parsed = parse_mime_structure("Subject: x\r\n\r\nbody\r\n");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->entities.size(), 1u);
  EXPECT_EQ(parsed->entities[0].content_type, "text/plain");
  EXPECT_FALSE(parse_mime_structure("no header here").has_value());
}

TEST(MimeStructure, DepthAndPartCountAreBounded) {
  std::string deep = "Content-Type: multipart/mixed; boundary=b0\r\n\r\n";
  for (int i = 1; i <= 40; ++i) {
    deep += fmt::format("--b{}\r\nContent-Type: multipart/mixed; boundary=b{}\r\n\r\n", i - 1, i);
  }
  auto too_deep = parse_mime_structure(deep);
  ASSERT_FALSE(too_deep.has_value());
  EXPECT_EQ(too_deep.error().code(), "mime.too_deep");

  std::string many = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 50; ++i) many += "--b\r\n\r\nx\r\n";
  StructureLimits limits;
  limits.max_entities = 20;
  auto too_many = parse_mime_structure(many, limits);
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().code(), "mime.too_many_parts");
}

}  // namespace
}  // namespace mailoauth::mime
