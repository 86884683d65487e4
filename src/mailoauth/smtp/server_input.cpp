// Framing of what an SMTP client sends; see server_input.hpp for the rules.
// The data state machine looks at one byte only at a line's start (a dot, then
// a CR, then the LF that ends the message); within a line it hands out
// everything up to the next LF in one piece found with memchr, so a large
// message costs a few pieces per buffer, not a call per byte.
#include "mailoauth/smtp/server_input.hpp"

#include <algorithm>
#include <cstring>

namespace mailoauth::smtp {

ServerInput::ServerInput(ServerInputLimits limits) : limits_(limits) {
  // A whole line (and its CR LF) must fit, or no line could ever complete.
  limits_.max_buffered = std::max(limits_.max_buffered, limits_.max_line_length + 2);
}

std::size_t ServerInput::space() const {
  return limits_.max_buffered - buffered();
}

void ServerInput::compact() {
  if (start_ == 0) return;
  buffer_.erase(0, start_);
  start_ = 0;
}

std::size_t ServerInput::feed(std::string_view bytes) {
  compact();
  const std::size_t taken = std::min(bytes.size(), space());
  buffer_.append(bytes.substr(0, taken));
  return taken;
}

std::optional<CommandLine> ServerInput::next_line() {
  if (mode_ != Mode::Command) return std::nullopt;
  const std::string_view available = std::string_view(buffer_).substr(start_);
  const std::size_t end = available.find('\n');
  if (discarding_) {
    if (end == std::string_view::npos) {
      start_ = buffer_.size();
      return std::nullopt;
    }
    start_ += end + 1;
    discarding_ = false;
    return CommandLine{.text = {}, .too_long = true, .has_nul = false, .bare_lf = false};
  }
  if (end == std::string_view::npos) {
    if (available.size() > limits_.max_line_length + 1) {  // +1: a CR may still come
      discarding_ = true;
      start_ = buffer_.size();
    }
    return std::nullopt;
  }
  std::string_view line = available.substr(0, end);
  CommandLine result;
  result.bare_lf = line.empty() || line.back() != '\r';
  if (!result.bare_lf) line.remove_suffix(1);
  start_ += end + 1;
  if (line.size() > limits_.max_line_length) {
    result.too_long = true;
    return result;
  }
  result.has_nul = line.find('\0') != std::string_view::npos;
  result.text.assign(line);
  return result;
}

void ServerInput::begin_data() {
  mode_ = Mode::Data;
  data_state_ = DataState::LineStart;
  last_was_cr_ = false;
  line_after_crlf_ = true;  // DATA's own line ended in CR LF: ".\r\n" at once is an empty message
  content_size_ = 0;
  bare_lf_count_ = 0;
}

void ServerInput::begin_chunk(std::uint64_t size, bool first_of_message) {
  if (first_of_message) {
    content_size_ = 0;
    bare_lf_count_ = 0;
  }
  // BDAT 0 [LAST] is valid: next_content() answers the end at once.
  mode_ = Mode::Chunk;
  chunk_left_ = size;
}

std::optional<ContentPiece> ServerInput::emit(std::string_view bytes) {
  const std::uint64_t before = content_size_;
  content_size_ += bytes.size();
  if (before >= limits_.max_message_size) return std::nullopt;  // dropped
  const std::uint64_t room = limits_.max_message_size - before;
  if (bytes.size() > room) bytes = bytes.substr(0, static_cast<std::size_t>(room));
  return ContentPiece{.bytes = bytes, .end = false};
}

std::optional<ContentPiece> ServerInput::next_content() {
  if (mode_ == Mode::Chunk) {
    for (;;) {
      if (chunk_left_ == 0) {
        mode_ = Mode::Command;
        return ContentPiece{.bytes = {}, .end = true};
      }
      const std::string_view available = std::string_view(buffer_).substr(start_);
      if (available.empty()) return std::nullopt;
      const std::size_t take =
          static_cast<std::size_t>(std::min<std::uint64_t>(available.size(), chunk_left_));
      start_ += take;
      chunk_left_ -= take;
      if (auto piece = emit(available.substr(0, take))) return piece;
    }
  }
  if (mode_ == Mode::Data) return next_data_piece();
  return std::nullopt;
}

std::optional<ContentPiece> ServerInput::next_data_piece() {
  static constexpr std::string_view kCarriageReturn = "\r";
  for (;;) {
    const std::string_view available = std::string_view(buffer_).substr(start_);
    if (available.empty()) return std::nullopt;
    switch (data_state_) {
      case DataState::LineStart:
        if (available.front() == '.') {
          ++start_;
          data_state_ = DataState::Dot;
        } else {
          data_state_ = DataState::Middle;
        }
        break;
      case DataState::Dot:
        if (available.front() == '\r') {
          ++start_;
          data_state_ = DataState::DotCr;
        } else {
          data_state_ = DataState::Middle;  // the leading dot is dropped (RFC 5321 4.5.2)
        }
        break;
      case DataState::DotCr:
        if (available.front() == '\n' && line_after_crlf_) {
          ++start_;
          mode_ = Mode::Command;
          return ContentPiece{.bytes = {}, .end = true};
        }
        // "." CR and something else: the dot is dropped, the CR is content.
        data_state_ = DataState::Middle;
        last_was_cr_ = true;
        if (auto piece = emit(kCarriageReturn)) return piece;
        break;
      case DataState::Middle: {
        const void* found = std::memchr(available.data(), '\n', available.size());
        if (found == nullptr) {
          start_ = buffer_.size();
          last_was_cr_ = available.back() == '\r';
          if (auto piece = emit(available)) return piece;
          break;
        }
        const auto end =
            static_cast<std::size_t>(static_cast<const char*>(found) - available.data());
        const bool crlf = end > 0 ? available[end - 1] == '\r' : last_was_cr_;
        if (!crlf) ++bare_lf_count_;
        line_after_crlf_ = crlf;
        last_was_cr_ = false;
        data_state_ = DataState::LineStart;
        start_ += end + 1;
        if (auto piece = emit(available.substr(0, end + 1))) return piece;
        break;
      }
    }
  }
}

}  // namespace mailoauth::smtp
