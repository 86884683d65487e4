// A part's body decoded from its Content-Transfer-Encoding (RFC 2045:
// base64, quoted-printable; 7bit, 8bit and binary as they are) a piece at a
// time, over a view of the message: an attachment of 15 MB is uploaded to
// Graph in 4 MB chunks without ever being decoded whole. Lenient like mail
// readers, not strict like core::base64 (which guards SASL): in base64,
// line breaks and other bytes outside the alphabet are skipped and the
// first '=' ends the data; in quoted-printable, a '=' not followed by two
// hex digits or a line end is kept as it is. Pure, no I/O, no allocation
// beyond what the caller asks for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mailoauth::mime {

class TransferDecoder {
 public:
  // `encoding`: the Content-Transfer-Encoding value, lower case.
  TransferDecoder(std::string_view encoded, std::string_view encoding);

  // Appends up to `capacity` decoded bytes to `out`; returns how many
  // (0 only at the end).
  std::size_t read(std::string& out, std::size_t capacity);

  // Skips `count` decoded bytes (fewer at the end); returns how many.
  std::uint64_t skip(std::uint64_t count);

  // Back to the first byte.
  void rewind();

  std::uint64_t position() const { return produced_; }

 private:
  enum class Kind { Identity, Base64, QuotedPrintable };
  // One step: decodes the next unit into pending_ (false at the end).
  bool refill();

  std::string_view encoded_;
  Kind kind_;
  std::size_t at_ = 0;    // next encoded byte
  char pending_[3] = {};  // decoded bytes not yet handed out
  std::size_t pending_size_ = 0;
  std::size_t pending_at_ = 0;
  bool ended_ = false;  // base64 padding seen
  std::uint64_t produced_ = 0;
};

// The decoded size, by decoding (and discarding) the whole body.
std::uint64_t decoded_size(std::string_view encoded, std::string_view encoding);

}  // namespace mailoauth::mime
