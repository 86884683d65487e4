// A smtp::MessageReader that rewrites the sender on the way out: it reads
// the header section from the reader below (the spool's content) up to
// kMaxRewriteHeader bytes, hands it to relay/sender_rewrite, and then
// streams the rest — the body — unchanged, a chunk at a time. Memory is the
// header section plus one chunk, whatever the message's size.
//
// A header that cannot be rewritten (longer than the limit, not RFC 5322)
// is delivered as it is, not deferred: waiting would not change it, and the
// upstream then says itself whether it takes the sender (Exchange's 5.7.60
// is recorded as the reason, the admin sees why). outcome() says what was
// done, for the delivery's log line. Reading is synchronous, like the
// readers it wraps; the relay calls it on its thread pool
// (relay/spool_message_reader's read-ahead).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mailoauth/relay/sender_rewrite.hpp"
#include "mailoauth/smtp/message_source.hpp"

namespace mailoauth::relay {

struct RewriteOutcome {
  bool header_read = false;  // the header section was looked at
  bool from_rewritten = false;
  bool reply_to_added = false;
  std::string skipped;  // why the header was left as it was (empty: not skipped)
};

class SenderRewritingReader final : public smtp::MessageReader {
 public:
  SenderRewritingReader(std::unique_ptr<smtp::MessageReader> inner, HeaderRewrite rewrite,
                        std::size_t header_limit = kMaxRewriteHeader);

  core::Result<std::string_view> read(std::size_t max) override;
  core::Result<void> rewind() override;
  // Octets as stored (before the rewrite).
  std::uint64_t stored_size() const override { return inner_->stored_size(); }

  // What the last read of the header did.
  const RewriteOutcome& outcome() const { return outcome_; }

 private:
  core::Result<void> read_header();

  std::unique_ptr<smtp::MessageReader> inner_;
  HeaderRewrite rewrite_;
  std::size_t header_limit_;
  bool header_done_ = false;
  std::string head_;  // the (rewritten) header and the body bytes read with it
  std::size_t head_position_ = 0;
  RewriteOutcome outcome_;
};

}  // namespace mailoauth::relay
