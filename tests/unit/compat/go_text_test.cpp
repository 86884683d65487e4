// Go's UTF-8 decoding (one U+FFFD per invalid byte), %q and IsSpace trimming.
#include "mailoauth/compat/go_text.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

TEST(GoTextTest, DecodeValidAndInvalid) {
  EXPECT_EQ(decode_go_rune("a", 0).rune, U'a');
  const GoRune euro = decode_go_rune("\xE2\x82\xAC", 0);
  EXPECT_TRUE(euro.valid);
  EXPECT_EQ(euro.rune, U'\u20AC');
  EXPECT_EQ(euro.width, 3u);
  EXPECT_EQ(decode_go_rune("\xF0\x9F\x92\xB0", 0).rune, U'\U0001F4B0');
  for (std::string_view bad : {"\xFF", "\xC0\x80", "\xED\xA0\x80", "\xE0\x80\x80",
                               "\xF4\x90\x80\x80", "\xE2\x82", "\x80"}) {
    const GoRune r = decode_go_rune(bad, 0);
    EXPECT_FALSE(r.valid) << bad;
    EXPECT_EQ(r.width, 1u);
    EXPECT_EQ(r.rune, kReplacementRune);
  }
}

// strconv.Quote's rules.
TEST(GoTextTest, Quote) {
  EXPECT_EQ(go_quote("Junk"), "\"Junk\"");
  EXPECT_EQ(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(go_quote("\a\b\f\n\r\t\v"), "\"\\a\\b\\f\\n\\r\\t\\v\"");
  EXPECT_EQ(go_quote(std::string_view("\x00\x1f\x7f", 3)), "\"\\x00\\x1f\\x7f\"");
  EXPECT_EQ(go_quote("Boîte de réception"), "\"Boîte de réception\"");
  EXPECT_EQ(go_quote("\xFF"), "\"\\xff\"");
  EXPECT_EQ(go_quote("\xC2\x85"), "\"\\u0085\"");
  EXPECT_EQ(go_quote("\xEF\xBB\xBF"), "\"\\ufeff\"");
  EXPECT_EQ(go_quote("\xF0\x9F\x92\xB0"), "\"\xF0\x9F\x92\xB0\"");
  EXPECT_EQ(go_quote("\xF3\xB0\x80\x80"), "\"\\U000f0000\"");
}

// encoding/json's escaping (encode.go appendString).
TEST(GoTextTest, JsonString) {
  EXPECT_EQ(go_json_string("plain"), "\"plain\"");
  EXPECT_EQ(go_json_string("a\"b\\c\n\r\t"), "\"a\\\"b\\\\c\\n\\r\\t\"");
  EXPECT_EQ(go_json_string("\x01\x08\x7f"), "\"\\u0001\\u0008\x7f\"");
  EXPECT_EQ(go_json_string("<a&b>"), "\"\\u003ca\\u0026b\\u003e\"");
  EXPECT_EQ(go_json_string("\xE2\x80\xA8\xFF\xC3\xA9"), "\"\\u2028\\ufffd\xC3\xA9\"");
}

TEST(GoTextTest, TrimSpace) {
  EXPECT_EQ(go_trim_space(" \t a b \r\n"), "a b");
  EXPECT_EQ(go_trim_space("\xC2\xA0x\xE3\x80\x80"), "x");
  EXPECT_EQ(go_trim_left_space("\v\f x "), "x ");
  EXPECT_EQ(go_trim_space("\xFF "), "\xFF");
  EXPECT_EQ(go_trim_space("   "), "");
}

TEST(GoTextTest, AppendUtf8) {
  std::string out;
  append_utf8(out, U'\u2702');
  append_utf8(out, 0xD800);
  EXPECT_EQ(out, "\xE2\x9C\x82\xEF\xBF\xBD");
}

}  // namespace
}  // namespace mailoauth::compat
