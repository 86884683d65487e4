// RFC 2047 decoding for display: the RFC's own examples, Latin-1/Windows-1252,
// white space between words, and malformed or unknown words kept as sent.
#include "mailoauth/compat/encoded_words.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

TEST(EncodedWords, PlainTextIsUnchanged) {
  EXPECT_EQ(decode_encoded_words("Hello world"), "Hello world");
  EXPECT_EQ(decode_encoded_words(""), "");
}

TEST(EncodedWords, Base64AndQ) {
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?R3LDvMOfZQ==?="), "Grüße");
  EXPECT_EQ(decode_encoded_words("=?utf-8?b?R3LDvMOfZQ?="), "Grüße");  // padding left out
  EXPECT_EQ(decode_encoded_words("=?ISO-8859-1?Q?Andr=E9_Pirard?="), "André Pirard");
  EXPECT_EQ(decode_encoded_words("=?windows-1252?Q?=80_5?="), "€ 5");
}

TEST(EncodedWords, SpaceBetweenWordsIsDropped) {
  // RFC 2047 section 8's examples.
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?=  \r\n =?ISO-8859-1?Q?b?=)"), "(ab)");
  EXPECT_EQ(decode_encoded_words("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
  EXPECT_EQ(decode_encoded_words("Re: =?UTF-8?Q?caf=C3=A9?= ok"), "Re: café ok");
}

TEST(EncodedWords, MalformedOrUnknownWordsStayAsSent) {
  EXPECT_EQ(decode_encoded_words("=?KOI8-R?Q?abc?="), "=?KOI8-R?Q?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?bad=ZZ?="), "=?UTF-8?Q?bad=ZZ?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?B?abc"), "=?UTF-8?B?abc");
  EXPECT_EQ(decode_encoded_words("=?UTF-8?Q?a=C3?="), "a\xEF\xBF\xBD");  // invalid UTF-8
}

}  // namespace
}  // namespace mailoauth::compat
