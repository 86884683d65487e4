// The header section gathered from the reader below, chunk by chunk, until
// its empty line, the end, or the limit; then rewritten and served from
// memory, then the body passed through (sender_rewriting_reader.hpp).
#include "mailoauth/relay/sender_rewriting_reader.hpp"

#include <algorithm>

namespace mailoauth::relay {

SenderRewritingReader::SenderRewritingReader(std::unique_ptr<smtp::MessageReader> inner,
                                             HeaderRewrite rewrite, std::size_t header_limit)
    : inner_(std::move(inner)), rewrite_(std::move(rewrite)), header_limit_(header_limit) {}

core::Result<void> SenderRewritingReader::read_header() {
  header_done_ = true;
  head_.clear();
  head_position_ = 0;
  outcome_ = RewriteOutcome{};
  if (rewrite_.from.empty()) return {};  // nothing to do: pass everything through
  outcome_.header_read = true;
  std::optional<std::size_t> end;
  bool at_end = false;
  while (!end && !at_end && head_.size() <= header_limit_) {
    auto chunk = inner_->read(std::min(smtp::kMessageChunkSize, header_limit_ + 1 - head_.size()));
    if (!chunk) return core::fail(chunk.error());
    at_end = chunk->empty();
    head_.append(*chunk);
    end = header_section_end(head_);  // at most two chunks: searched again whole
  }
  if (!end && !at_end) {
    outcome_.skipped = "the header is longer than the rewrite limit";
    return {};
  }
  const std::size_t header_size = end.value_or(head_.size());
  if (header_size > header_limit_) {
    outcome_.skipped = "the header is longer than the rewrite limit";
    return {};
  }
  auto rewritten =
      rewrite_header(std::string_view(head_).substr(0, header_size), rewrite_, header_limit_);
  if (!rewritten) {
    outcome_.skipped = rewritten.error().message();
    return {};
  }
  outcome_.from_rewritten = rewritten->from_rewritten;
  outcome_.reply_to_added = rewritten->reply_to_added;
  rewritten->text.append(head_, header_size);
  head_ = std::move(rewritten->text);
  return {};
}

core::Result<std::string_view> SenderRewritingReader::read(std::size_t max) {
  if (!header_done_) {
    if (auto read = read_header(); !read) return core::fail(read.error());
  }
  if (head_position_ < head_.size()) {
    const std::size_t count = std::min(max, head_.size() - head_position_);
    const std::string_view piece(head_.data() + head_position_, count);
    head_position_ += count;
    return piece;
  }
  if (!head_.empty()) {  // served: its memory goes back before the body streams
    head_.clear();
    head_.shrink_to_fit();
    head_position_ = 0;
  }
  return inner_->read(max);
}

core::Result<void> SenderRewritingReader::rewind() {
  header_done_ = false;
  head_.clear();
  head_position_ = 0;
  return inner_->rewind();
}

}  // namespace mailoauth::relay
