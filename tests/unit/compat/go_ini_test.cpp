// go-ini v1.67.0's reading rules with check-mail's LoadOptions{} (parser.go
// readKeyName/readValue/readMultilines/readContinuationLines, file.go
// NewSection, section.go NewKey/GetKey), one behaviour per test.
#include "mailoauth/compat/go_ini.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

IniFile parse(std::string_view text) {
  auto file = parse_go_ini(text, "accounts.ini");
  EXPECT_TRUE(file) << (file ? "" : file.error().message());
  return file ? std::move(*file) : IniFile{};
}

std::string value(const IniFile& file, std::string_view section, std::string_view key) {
  const IniSection* s = file.section(section);
  if (s == nullptr) return "<no section>";
  const IniKey* k = s->find(key);
  return k == nullptr ? "<no key>" : k->value;
}

std::string error(std::string_view text) {
  auto file = parse_go_ini(text, "accounts.ini");
  EXPECT_FALSE(file) << text;
  return file ? "" : file.error().message();
}

TEST(GoIniTest, DefaultSectionExistsFirst) {
  const IniFile file = parse("top = 1\n[a]\nx = 2\n[DEFAULT]\ny = 3\n");
  ASSERT_EQ(file.sections.size(), 2u);
  EXPECT_EQ(file.sections[0].name, "DEFAULT");
  EXPECT_EQ(value(file, "DEFAULT", "top"), "1");
  EXPECT_EQ(value(file, "DEFAULT", "y"), "3");
  EXPECT_EQ(value(file, "a", "x"), "2");
}

TEST(GoIniTest, CommentsEvenInsideDoubleQuotes) {
  const IniFile file =
      parse("# whole line\n; also\n[a]\npassword = \"abc#def\"\nsemi = x;y\nplain = v # note\n");
  EXPECT_EQ(value(file, "a", "password"), "\"abc");
  EXPECT_TRUE(file.section("a")->find("password")->cut_at_comment);
  EXPECT_EQ(value(file, "a", "semi"), "x");
  EXPECT_EQ(value(file, "a", "plain"), "v");
}

TEST(GoIniTest, BackticksAndTripleQuotesProtect) {
  const IniFile file =
      parse("[a]\nb = `pa#ss;word` # comment\nt = \"\"\"x#y;z\"\"\"\nboth = `a`b` \n");
  EXPECT_EQ(value(file, "a", "b"), "pa#ss;word");
  EXPECT_FALSE(file.section("a")->find("b")->cut_at_comment);
  EXPECT_EQ(value(file, "a", "t"), "x#y;z");
  EXPECT_EQ(value(file, "a", "both"), "a`b");  // strings.LastIndex: the last backtick closes
}

TEST(GoIniTest, MultiLineQuotedValues) {
  const IniFile file =
      parse("[a]\nm = `one\ntwo # kept\nthree` ; gone\nn = \"\"\"\nx\n\"\"\"\nafter = 1\n");
  EXPECT_EQ(value(file, "a", "m"), "one\ntwo # kept\nthree");
  EXPECT_EQ(value(file, "a", "n"), "\nx\n");
  EXPECT_EQ(value(file, "a", "after"), "1");
  EXPECT_EQ(file.section("a")->find("after")->line, 8);
}

TEST(GoIniTest, UnclosedMultiLineValueIsAnError) {
  EXPECT_EQ(error("[a]\nm = `never closed\nmore\n"),
            "accounts.ini:2: missing closing backtick for the value begun here");
  EXPECT_EQ(error("m = \"\"\"x"),
            "accounts.ini:1: missing closing triple quote for the value begun here");
}

TEST(GoIniTest, SurroundingQuotesStrippedOnlyWhenAlone) {
  const IniFile file = parse(
      "[a]\nfolders = \"Inbox\", \"Junk EMail\"\nq = \"quoted\"\ns = 'single'\n"
      "inner = \"a\"b\"\nlone = \"\nmixed = 'x\"\n");
  EXPECT_EQ(value(file, "a", "folders"), "\"Inbox\", \"Junk EMail\"");
  EXPECT_EQ(value(file, "a", "q"), "quoted");
  EXPECT_EQ(value(file, "a", "s"), "single");
  EXPECT_EQ(value(file, "a", "inner"), "\"a\"b\"");
  EXPECT_EQ(value(file, "a", "lone"), "\"");
  EXPECT_EQ(value(file, "a", "mixed"), "'x\"");
}

TEST(GoIniTest, ContinuationLines) {
  const IniFile file = parse("[a]\nlong = one \\\n   two \\\n three # not a comment\nnext = 2\n");
  EXPECT_EQ(value(file, "a", "long"), "one two three # not a comment");
  EXPECT_EQ(value(file, "a", "next"), "2");
  const IniFile blank = parse("[a]\nlong = one \\\n\nnext = 2\n");
  EXPECT_EQ(value(blank, "a", "long"), "one ");
  EXPECT_EQ(value(blank, "a", "next"), "2");
}

TEST(GoIniTest, DelimitersAndKeyNames) {
  const IniFile file = parse(
      "[a]\ncolon: value\n  spaced key   =   v  \nurl = https://x:1/y\n\"quoted = key\" = qv\n"
      "`back` : bv\nempty =\n- = first\n- = second\n");
  EXPECT_EQ(value(file, "a", "colon"), "value");
  EXPECT_EQ(value(file, "a", "spaced key"), "v");
  EXPECT_EQ(value(file, "a", "url"), "https://x:1/y");
  EXPECT_EQ(value(file, "a", "quoted = key"), "qv");
  EXPECT_EQ(value(file, "a", "back"), "bv");
  EXPECT_EQ(value(file, "a", "empty"), "");
  EXPECT_EQ(value(file, "a", "#1"), "first");
  EXPECT_EQ(value(file, "a", "#2"), "second");
}

TEST(GoIniTest, NamesAreCaseSensitive) {
  const IniFile file = parse("[A]\nKey = 1\n[a]\nkey = 2\n");
  EXPECT_EQ(value(file, "A", "Key"), "1");
  EXPECT_EQ(value(file, "a", "key"), "2");
  EXPECT_EQ(value(file, "a", "Key"), "<no key>");
}

TEST(GoIniTest, RepeatedSectionsMergeRepeatedKeysReplace) {
  const IniFile file = parse("[a]\nk = 1\nj = x\n[b]\n[a]\nk = 2\n");
  ASSERT_EQ(file.sections.size(), 3u);
  EXPECT_EQ(file.sections[1].name, "a");
  EXPECT_EQ(value(file, "a", "k"), "2");
  EXPECT_EQ(file.section("a")->find("k")->line, 6);
  EXPECT_EQ(file.section("a")->keys.front().name, "k");
}

TEST(GoIniTest, SectionNamesKeptRaw) {
  const IniFile file = parse("[ spaced ] trailing junk\nk = 1\n[x]]\n");
  EXPECT_EQ(value(file, " spaced ", "k"), "1");
  EXPECT_NE(file.section("x]"), nullptr);
}

TEST(GoIniTest, ParentSectionLookup) {
  const IniFile file = parse("[DEFAULT]\nd = 0\n[a]\nk = 1\n[a.b.c]\n[x.y]\n");
  const IniSection& child = *file.section("a.b.c");
  ASSERT_NE(file.lookup(child, "k"), nullptr);
  EXPECT_EQ(file.lookup(child, "k")->value, "1");
  EXPECT_EQ(file.lookup(child, "d"), nullptr);  // go-ini does not fall back to DEFAULT
  EXPECT_EQ(file.lookup(*file.section("x.y"), "k"), nullptr);
}

TEST(GoIniTest, BomAndCrlf) {
  const IniFile file = parse("\xEF\xBB\xBF[a]\r\nk = v\r\nq = `x`\r\n");
  EXPECT_EQ(value(file, "a", "k"), "v");
  EXPECT_EQ(value(file, "a", "q"), "x");
}

TEST(GoIniTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(error("[a]\nk = 1\n[broken\n"), "accounts.ini:3: unclosed section: [broken");
  EXPECT_EQ(error("[]\n"), "accounts.ini:1: empty section name");
  EXPECT_EQ(error("\n\njust words\n"),
            "accounts.ini:3: key-value delimiter (= or :) not found: a line must be [section], key "
            "= value or a # comment");
  EXPECT_EQ(error("= v\n"), "accounts.ini:1: empty key name before = or :");
  EXPECT_EQ(error("\"open = v\n"), "accounts.ini:1: missing closing key quote");
  EXPECT_EQ(error("\"\" = v\n"), "accounts.ini:1: empty key name");
}

TEST(GoIniTest, ErrorsNeverQuoteAValueLine) {
  const std::string message = error("[a]\nhunter2secret\n");
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

TEST(GoIniTest, Limits) {
  EXPECT_EQ(parse_go_ini(std::string(2 << 20, 'x'), "big.ini").error().code(), "ini.too_large");
  std::string many;
  for (int i = 0; i < 20; ++i) many += "[s" + std::to_string(i) + "]\n";
  EXPECT_FALSE(parse_go_ini(many, "m.ini", IniLimits{1 << 20, 10, 100}));
  EXPECT_FALSE(parse_go_ini("a=1\nb=2\nc=3\n", "k.ini", IniLimits{1 << 20, 10, 2}));
}

}  // namespace
}  // namespace mailoauth::compat
