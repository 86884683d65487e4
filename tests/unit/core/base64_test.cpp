// Tests for base64: RFC 4648 section 10 vectors in both alphabets, and each way
// strict decoding refuses garbage, with the error naming position and cause.
#include "mailoauth/core/base64.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core::base64 {
namespace {

struct Vector {
  std::string_view plain;
  std::string_view encoded;
};

// RFC 4648, section 10.
constexpr Vector kRfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64Test, Rfc4648VectorsEncode) {
  for (const auto& vector : kRfc4648) {
    EXPECT_EQ(encode(vector.plain), vector.encoded) << vector.plain;
  }
}

TEST(Base64Test, Rfc4648VectorsDecode) {
  for (const auto& vector : kRfc4648) {
    auto decoded = decode(vector.encoded);
    ASSERT_TRUE(decoded.has_value()) << vector.encoded << ": " << decoded.error().message();
    EXPECT_EQ(*decoded, vector.plain);
  }
}

TEST(Base64Test, UrlSafeUsesDashAndUnderscoreWithoutPadding) {
  const std::string bytes("\xfb\xff\xbf", 3);
  EXPECT_EQ(encode(bytes, Alphabet::Standard), "+/+/");
  EXPECT_EQ(encode(bytes, Alphabet::UrlSafe, Padding::Omitted), "-_-_");
  EXPECT_EQ(encode("f", Alphabet::UrlSafe, Padding::Omitted), "Zg");
  auto decoded = decode("-_-_", Alphabet::UrlSafe, Padding::Omitted);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, bytes);
}

TEST(Base64Test, AllByteValuesRoundTrip) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (auto alphabet : {Alphabet::Standard, Alphabet::UrlSafe}) {
    for (std::size_t length = 0; length <= bytes.size(); length += 7) {
      const std::string_view slice(bytes.data(), length);
      auto decoded = decode(encode(slice, alphabet), alphabet);
      ASSERT_TRUE(decoded.has_value());
      EXPECT_EQ(*decoded, slice);
    }
  }
}

TEST(Base64Test, XOAuth2ExampleFromGoogle) {
  // Google's XOAUTH2 protocol page: user=someuser@example.com, token
  // ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg
  const std::string initial =
      "user=someuser@example.com\x01"
      "auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01";
  EXPECT_EQ(
      encode(initial),
      "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhk"
      "SFJoZG1semRHRXVZMjl0Q2cBAQ==");
}

TEST(Base64Test, EncodeProducesExactlyEncodedSize) {
  for (std::size_t length = 0; length < 100; ++length) {
    const std::string bytes(length, '\x5a');
    for (auto padding : {Padding::Required, Padding::Omitted}) {
      EXPECT_EQ(encode(bytes, Alphabet::Standard, padding).size(), encoded_size(length, padding))
          << length;
    }
  }
}

TEST(Base64Test, EncodedSize) {
  EXPECT_EQ(encoded_size(0), 0u);
  EXPECT_EQ(encoded_size(1), 4u);
  EXPECT_EQ(encoded_size(3), 4u);
  EXPECT_EQ(encoded_size(4), 8u);
  EXPECT_EQ(encoded_size(1, Padding::Omitted), 2u);
  EXPECT_EQ(encoded_size(2, Padding::Omitted), 3u);
  EXPECT_EQ(encoded_size(3, Padding::Omitted), 4u);
}

void expect_refused(std::string_view text, std::string_view code,
                    Alphabet alphabet = Alphabet::Standard, Padding padding = Padding::Required) {
  auto decoded = decode(text, alphabet, padding);
  ASSERT_FALSE(decoded.has_value()) << "accepted: " << text;
  EXPECT_EQ(decoded.error().code(), code) << text << ": " << decoded.error().message();
}

TEST(Base64Test, RefusesCharactersOutsideTheAlphabet) {
  expect_refused("Zm9v!", "base64.invalid_character");
  expect_refused("Zm 9v", "base64.invalid_character");
  expect_refused("Zm9v\r\n", "base64.invalid_character");
  expect_refused(std::string_view("Zm\0v", 4), "base64.invalid_character");
  expect_refused("-_-_", "base64.invalid_character");                     // url chars, std alphabet
  expect_refused("+/+/", "base64.invalid_character", Alphabet::UrlSafe);  // std chars, url alphabet
}

TEST(Base64Test, ErrorNamesPositionAndByte) {
  auto decoded = decode("Zm9v\x01YmFy");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().message(),
            "invalid base64: byte 0x01 at position 4 is not in the alphabet");
}

TEST(Base64Test, RefusesBadPadding) {
  expect_refused("Zg=", "base64.bad_padding");
  expect_refused("Zg===", "base64.bad_padding");
  expect_refused("Zm8==", "base64.bad_padding");
  expect_refused("Zm9v=", "base64.bad_padding");
  expect_refused("Z===", "base64.truncated");
  expect_refused("Zg==Zg==", "base64.misplaced_padding");
  expect_refused("=", "base64.bad_padding");
}

TEST(Base64Test, PaddingModes) {
  expect_refused("Zg", "base64.missing_padding");
  expect_refused("Zg==", "base64.unexpected_padding", Alphabet::Standard, Padding::Omitted);
  EXPECT_TRUE(decode("Zg", Alphabet::Standard, Padding::Optional).has_value());
  EXPECT_TRUE(decode("Zg==", Alphabet::Standard, Padding::Optional).has_value());
  EXPECT_TRUE(decode("Zg", Alphabet::Standard, Padding::Omitted).has_value());
}

TEST(Base64Test, RefusesTruncatedInput) {
  expect_refused("Zm9vY", "base64.truncated", Alphabet::Standard, Padding::Optional);
}

TEST(Base64Test, RefusesNonCanonicalTrailingBits) {
  // "Zh==" decodes to 'f' only if the low bits of 'h' are ignored.
  expect_refused("Zh==", "base64.non_canonical");
  expect_refused("Zm9=", "base64.non_canonical");
}

TEST(Base64Test, DecodeErrorsArePermanent) {
  auto decoded = decode("***=");
  ASSERT_FALSE(decoded.has_value());
  EXPECT_EQ(decoded.error().error_class(), ErrorClass::Permanent);
}

}  // namespace
}  // namespace mailoauth::core::base64
