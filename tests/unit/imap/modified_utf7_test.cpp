// Modified UTF-7 against RFC 3501 section 5.1.3's examples, both ways, and
// every refusal the strict decoder makes.
#include "mailoauth/imap/modified_utf7.hpp"

#include <gtest/gtest.h>

namespace mailoauth::imap {
namespace {

using namespace std::string_view_literals;

TEST(ModifiedUtf7Test, Rfc3501Example) {
  auto decoded = decode_modified_utf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message();
  EXPECT_EQ(*decoded, "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e");
  auto encoded = encode_modified_utf7("~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e");
  ASSERT_TRUE(encoded.has_value());
  EXPECT_EQ(*encoded, "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
}

TEST(ModifiedUtf7Test, AmpersandAndPlainAscii) {
  EXPECT_EQ(*encode_modified_utf7("Tom & Jerry"), "Tom &- Jerry");
  EXPECT_EQ(*decode_modified_utf7("Tom &- Jerry"), "Tom & Jerry");
  EXPECT_EQ(*encode_modified_utf7("Junk Email"), "Junk Email");
  EXPECT_EQ(*encode_modified_utf7(""), "");
}

TEST(ModifiedUtf7Test, CommonFolderNames) {
  // Entwürfe, Gelöschte Elemente, Éléments envoyés: what German and French Exchange users see.
  EXPECT_EQ(*encode_modified_utf7("Entw\u00fcrfe"), "Entw&APw-rfe");
  EXPECT_EQ(*decode_modified_utf7("Gel&APY-schte Elemente"), "Gel\u00f6schte Elemente");
  EXPECT_EQ(*encode_modified_utf7("\u00c9l\u00e9ments envoy\u00e9s"),
            "&AMk-l&AOk-ments envoy&AOk-s");
  // Outside the BMP: a surrogate pair.
  EXPECT_EQ(*encode_modified_utf7("\U0001F600"), "&2D3eAA-");
  EXPECT_EQ(*decode_modified_utf7("&2D3eAA-"), "\U0001F600");
  // Control characters are encoded, never sent raw.
  EXPECT_EQ(*encode_modified_utf7("a\tb"), "a&AAk-b");
  EXPECT_EQ(*decode_modified_utf7("a&AAk-b"), "a\tb");
}

TEST(ModifiedUtf7Test, RoundTripsEveryLengthOfRun) {
  std::string name;
  for (int i = 0; i < 12; ++i) {
    name += "\u00e9";
    auto encoded = encode_modified_utf7(name + "x");
    ASSERT_TRUE(encoded.has_value());
    auto decoded = decode_modified_utf7(*encoded);
    ASSERT_TRUE(decoded.has_value()) << *encoded << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, name + "x");
  }
}

TEST(ModifiedUtf7Test, RefusesInvalidEncodings) {
  for (std::string_view bad : {
           "&U,BTFw",      // no closing '-'
           "&U/BTFw-",     // '/' is not in the modified alphabet
           "&U,BTFw=-",    // padding
           "&AGE-",        // 'a' encoded
           "&AGEA-",       // surplus character
           "&AOl-",        // non-zero padding bits
           "&2D0-",        // lone high surrogate
           "&3gA-",        // lone low surrogate
           "&2D3YPQ-",     // high surrogate followed by a high surrogate
           "&AAA-",        // NUL
           "caf\xc3\xa9",  // raw 8-bit
           "a\tb",         // raw control character
       }) {
    auto decoded = decode_modified_utf7(bad);
    EXPECT_FALSE(decoded.has_value()) << bad;
    if (!decoded) {
      EXPECT_EQ(decoded.error().code(), "imap.bad_mailbox_name");
    }
  }
}

TEST(ModifiedUtf7Test, RefusesInvalidUtf8) {
  for (std::string_view bad :
       {"\xc3"sv, "\xc0\xaf"sv, "\xed\xa0\x80"sv, "\xf4\x90\x80\x80"sv, "\xff"sv, "a\0b"sv}) {
    auto encoded = encode_modified_utf7(bad);
    EXPECT_FALSE(encoded.has_value());
    if (!encoded) {
      EXPECT_EQ(encoded.error().error_class(), core::ErrorClass::Config);
    }
  }
}

}  // namespace
}  // namespace mailoauth::imap
