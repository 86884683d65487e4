// Astring forms for the arguments we send: atom, quoted or literal+, and the
// refusal of NUL.
#include "mailoauth/imap/quoting.hpp"

#include <gtest/gtest.h>

namespace mailoauth::imap {
namespace {

using namespace std::string_literals;

TEST(QuotingTest, AtomWhenSafe) {
  for (std::string_view word : {"INBOX", "user@example.com", "a.b-c_d", "Sent/2024", "&U,BTFw-"}) {
    auto quoted = quote_astring(word);
    ASSERT_TRUE(quoted.has_value());
    EXPECT_EQ(quoted->form, AstringForm::Atom) << word;
    EXPECT_EQ(quoted->wire, word);
  }
}

TEST(QuotingTest, QuotedWhenPossible) {
  EXPECT_EQ(quote_astring("Junk Email")->wire, "\"Junk Email\"");
  EXPECT_EQ(quote_astring("")->wire, "\"\"");
  EXPECT_EQ(quote_astring("NIL")->wire, "\"NIL\"");
  EXPECT_EQ(quote_astring("a\"b\\c")->wire, "\"a\\\"b\\\\c\"");
  for (std::string_view special : {"a(b", "a)b", "a{b", "a%b", "a*b", "a]b", "a b"}) {
    auto quoted = quote_astring(special);
    EXPECT_EQ(quoted->form, AstringForm::Quoted) << special;
    EXPECT_EQ(quoted->wire, "\"" + std::string(special) + "\"");
  }
}

TEST(QuotingTest, LiteralOtherwise) {
  auto line_break = quote_astring("pass\r\nword");
  EXPECT_EQ(line_break->form, AstringForm::Literal);
  EXPECT_EQ(line_break->wire, "{10+}\r\npass\r\nword");
  EXPECT_EQ(quote_astring("a\tb")->wire, "{3+}\r\na\tb");
  auto eight_bit = quote_astring("p\xc3\xa4ss");
  EXPECT_EQ(eight_bit->form, AstringForm::Literal);
  EXPECT_EQ(eight_bit->wire, "{5+}\r\np\xc3\xa4ss");
}

TEST(QuotingTest, RefusesNul) {
  auto quoted = quote_astring("a\0b"s);
  ASSERT_FALSE(quoted.has_value());
  EXPECT_EQ(quoted.error().code(), "imap.nul_in_argument");
}

TEST(QuotingTest, MailboxNamesAreEncodedThenQuoted) {
  EXPECT_EQ(quote_mailbox("INBOX")->wire, "INBOX");
  EXPECT_EQ(quote_mailbox("Gel\u00f6schte Elemente")->wire, "\"Gel&APY-schte Elemente\"");
  EXPECT_EQ(quote_mailbox("~peter/mail/\u53f0\u5317")->wire, "~peter/mail/&U,BTFw-");
  EXPECT_FALSE(quote_mailbox("\xff").has_value());
}

TEST(QuotingTest, SecretVariantKeepsTheFormAndTheBytes) {
  auto atom = quote_secret_astring(core::Secret("hunter2"));
  ASSERT_TRUE(atom.has_value());
  EXPECT_EQ(atom->form, AstringForm::Atom);
  EXPECT_EQ(atom->wire.reveal(), "hunter2");
  EXPECT_EQ(quote_secret_astring(core::Secret("a \"b"))->wire.reveal(), "\"a \\\"b\"");
  auto literal = quote_secret_astring(core::Secret("p\xc3\xa4ss"));
  EXPECT_EQ(literal->form, AstringForm::Literal);
  EXPECT_EQ(literal->wire.reveal(), "{5+}\r\np\xc3\xa4ss");
  const std::string with_nul("a\0b", 3);
  auto nul = quote_secret_astring(core::Secret(with_nul));
  ASSERT_FALSE(nul.has_value());
  EXPECT_EQ(nul.error().code(), "imap.nul_in_argument");
}

}  // namespace
}  // namespace mailoauth::imap
