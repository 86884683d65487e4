// Bodies decoded a piece at a time must equal the body decoded at once,
// whatever the piece size: base64 with line breaks and padding,
// quoted-printable with soft breaks and escapes, and identity; skip and
// rewind land on the right byte (an upload resumed from nextExpectedRanges).
#include "mailoauth/mime/transfer_decoder.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::mime {
namespace {

std::string all_in_pieces(std::string_view encoded, std::string_view encoding, std::size_t piece) {
  TransferDecoder decoder(encoded, encoding);
  std::string out;
  while (decoder.read(out, piece) > 0) {
  }
  return out;
}

std::string folded(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 76) out += text.substr(i, 76) + "\r\n";
  return out;
}

TEST(TransferDecoder, Base64InAnyPieceSizeEqualsTheWhole) {
  std::string bytes;
  for (int i = 0; i < 1000; ++i) bytes += static_cast<char>(i * 7 % 256);
  for (std::size_t tail = 0; tail < 3; ++tail) {
    const std::string original = bytes.substr(0, bytes.size() - tail);
    const std::string encoded = folded(core::base64::encode(original));
    for (std::size_t piece : {1u, 2u, 3u, 4u, 7u, 64u, 5000u}) {
      EXPECT_EQ(all_in_pieces(encoded, "base64", piece), original) << piece << " " << tail;
    }
    EXPECT_EQ(decoded_size(encoded, "base64"), original.size());
  }
}

TEST(TransferDecoder, QuotedPrintableSoftBreaksAndEscapes) {
  const std::string encoded = "caf=C3=A9 =\r\nau lait=\nx=3D1 =ZZ end\r\n";
  EXPECT_EQ(all_in_pieces(encoded, "quoted-printable", 1), "caf\xC3\xA9 au laitx=1 =ZZ end\r\n");
  EXPECT_EQ(all_in_pieces(encoded, "quoted-printable", 100), "caf\xC3\xA9 au laitx=1 =ZZ end\r\n");
}

TEST(TransferDecoder, IdentityForSevenBitEightBitAndBinary) {
  for (const char* encoding : {"", "7bit", "8bit", "binary"}) {
    EXPECT_EQ(all_in_pieces("line 1\r\nline 2", encoding, 3), "line 1\r\nline 2");
  }
}

TEST(TransferDecoder, SkipAndRewindLandOnTheRightByte) {
  const std::string original = "0123456789abcdefghij";
  const std::string encoded = folded(core::base64::encode(original));
  TransferDecoder decoder(encoded, "base64");
  EXPECT_EQ(decoder.skip(7), 7u);
  std::string out;
  decoder.read(out, 5);
  EXPECT_EQ(out, "789ab");
  decoder.rewind();
  out.clear();
  decoder.read(out, 3);
  EXPECT_EQ(out, "012");
  EXPECT_EQ(decoder.skip(1000), original.size() - 3);
  EXPECT_EQ(decoder.read(out, 10), 0u);
}

}  // namespace
}  // namespace mailoauth::mime
