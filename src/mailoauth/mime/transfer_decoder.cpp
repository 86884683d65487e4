// Identity bodies are copied a block at a time; base64 and quoted-printable
// go through refill(), which decodes one unit (a quantum of four base64
// characters, or one quoted-printable byte or escape) into a three-byte
// buffer, so a read can stop at any byte count without losing state.
#include "mailoauth/mime/transfer_decoder.hpp"

#include <algorithm>
#include <array>

namespace mailoauth::mime {

namespace {

constexpr std::array<signed char, 256> kBase64Values = [] {
  std::array<signed char, 256> values{};
  values.fill(-1);
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    values[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
  }
  return values;
}();

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

TransferDecoder::TransferDecoder(std::string_view encoded, std::string_view encoding)
    : encoded_(encoded),
      kind_(encoding == "base64"             ? Kind::Base64
            : encoding == "quoted-printable" ? Kind::QuotedPrintable
                                             : Kind::Identity) {}

void TransferDecoder::rewind() {
  at_ = 0;
  pending_size_ = pending_at_ = 0;
  ended_ = false;
  produced_ = 0;
}

bool TransferDecoder::refill() {
  pending_size_ = pending_at_ = 0;
  if (kind_ == Kind::Base64) {
    std::uint32_t quantum = 0;
    int sextets = 0;
    while (!ended_ && at_ < encoded_.size() && sextets < 4) {
      const char c = encoded_[at_++];
      if (c == '=') {
        ended_ = true;
        break;
      }
      const signed char value = kBase64Values[static_cast<unsigned char>(c)];
      if (value < 0) continue;
      quantum = (quantum << 6) | static_cast<std::uint32_t>(value);
      ++sextets;
    }
    if (sextets < 2) return false;  // a lone sextet carries no whole byte
    quantum <<= 6 * (4 - sextets);
    pending_[0] = static_cast<char>((quantum >> 16) & 0xFF);
    pending_[1] = static_cast<char>((quantum >> 8) & 0xFF);
    pending_[2] = static_cast<char>(quantum & 0xFF);
    pending_size_ = static_cast<std::size_t>(sextets - 1);
    return true;
  }
  // Quoted-printable: one byte, one escape, or a soft line break (nothing).
  while (at_ < encoded_.size()) {
    const char c = encoded_[at_];
    if (c != '=') {
      ++at_;
      pending_[pending_size_++] = c;
      return true;
    }
    const std::string_view rest = encoded_.substr(at_ + 1);
    if (rest.starts_with("\r\n")) {
      at_ += 3;
      continue;
    }
    if (rest.starts_with("\n")) {
      at_ += 2;
      continue;
    }
    if (rest.size() >= 2 && hex_digit(rest[0]) >= 0 && hex_digit(rest[1]) >= 0) {
      pending_[pending_size_++] = static_cast<char>(hex_digit(rest[0]) * 16 + hex_digit(rest[1]));
      at_ += 3;
      return true;
    }
    ++at_;
    pending_[pending_size_++] = '=';
    return true;
  }
  return false;
}

std::size_t TransferDecoder::read(std::string& out, std::size_t capacity) {
  if (kind_ == Kind::Identity) {
    const std::size_t count = std::min(capacity, encoded_.size() - at_);
    out.append(encoded_.substr(at_, count));
    at_ += count;
    produced_ += count;
    return count;
  }
  std::size_t given = 0;
  while (given < capacity) {
    if (pending_at_ == pending_size_ && !refill()) break;
    const std::size_t count = std::min(capacity - given, pending_size_ - pending_at_);
    out.append(pending_ + pending_at_, count);
    pending_at_ += count;
    given += count;
  }
  produced_ += given;
  return given;
}

std::uint64_t TransferDecoder::skip(std::uint64_t count) {
  std::string scratch;
  std::uint64_t skipped = 0;
  while (skipped < count) {
    scratch.clear();
    const std::size_t step = read(
        scratch, static_cast<std::size_t>(std::min<std::uint64_t>(count - skipped, 64 * 1024)));
    if (step == 0) break;
    skipped += step;
  }
  return skipped;
}

std::uint64_t decoded_size(std::string_view encoded, std::string_view encoding) {
  TransferDecoder decoder(encoded, encoding);
  return decoder.skip(UINT64_MAX);
}

}  // namespace mailoauth::mime
