// A test smtp::MessageReader over a string that hands out at most `piece`
// bytes per read, with an optional hook run before each read (which may
// fail it): the relay's reader tests feed the rewriting and read-ahead
// readers through it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>

#include "mailoauth/smtp/message_source.hpp"

namespace mailoauth::relay {

class PieceReader final : public smtp::MessageReader {
 public:
  explicit PieceReader(std::string text,
                       std::size_t piece = std::numeric_limits<std::size_t>::max())
      : text_(std::move(text)), piece_(piece) {}
  core::Result<std::string_view> read(std::size_t max) override {
    if (before_read) {
      if (auto allowed = before_read(); !allowed) return core::fail(allowed.error());
    }
    const std::size_t count = std::min({max, piece_, text_.size() - position_});
    const std::string_view out(text_.data() + position_, count);
    position_ += count;
    return out;
  }
  core::Result<void> rewind() override {
    position_ = 0;
    return {};
  }
  std::uint64_t stored_size() const override { return text_.size(); }

  std::function<core::Result<void>()> before_read;

 private:
  std::string text_;
  std::size_t piece_;
  std::size_t position_ = 0;
};

}  // namespace mailoauth::relay
