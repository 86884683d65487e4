// Fuzz target for what an SMTP server sends: the reply parser with small
// limits (so they are reached), fed the input at once and again cut at
// four places taken from the input. Both must give the same replies and the
// same error; every reply must keep the RFC 5321 code rules and limits, carry
// no CR, LF or NUL in its lines, and survive explain_reply (a message and
// remedy without line breaks) and parse_ehlo_capabilities (upper-case
// keywords and mechanisms); what the parser holds stays bounded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/smtp/ehlo_capabilities.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"
#include "mailoauth/smtp/reply_parser.hpp"

namespace {

using namespace mailoauth::smtp;

// The pending limit is generous: fed at once, every reply waits; in pieces, none do.
constexpr ReplyLimits kLimits{64, 8, 256, 1 << 20};

struct Outcome {
  std::vector<Reply> replies;
  std::string error;
};

void check_bounded(const ReplyParser& parser) {
  if (parser.buffered_size() >
      kLimits.max_pending_size + kLimits.max_reply_size + kLimits.max_line_length + 1) {
    std::abort();
  }
}

void take(ReplyParser& parser, mailoauth::core::Result<std::optional<Reply>> answer,
          Outcome& outcome) {
  for (;;) {
    if (!answer) {
      outcome.error = answer.error().code();
      if (answer.error().message().find_first_of("\r\n") != std::string::npos) std::abort();
      return;
    }
    if (!*answer) return;
    outcome.replies.push_back(std::move(**answer));
    answer = parser.next();
  }
}

bool has_line_break(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

void check_reply(const Reply& reply) {
  const int first = reply.code / 100, second = reply.code / 10 % 10;
  if (first < 2 || first > 5 || second > 5) std::abort();
  if (reply.lines.empty() || reply.lines.size() > kLimits.max_lines) std::abort();
  for (const auto& line : reply.lines) {
    if (line.size() + 4 > kLimits.max_line_length || has_line_break(line)) std::abort();
  }
  if (reply.enhanced_status && reply.enhanced_status->status_class != first) std::abort();
  const mailoauth::core::Error error = explain_reply(reply, "AUTH XOAUTH2");
  if (has_line_break(error.message()) || has_line_break(error.remedy())) std::abort();
  const EhloCapabilities capabilities = parse_ehlo_capabilities(reply.lines);
  for (const auto& extension : capabilities.extensions) {
    for (char c : extension.keyword) {
      if (c >= 'a' && c <= 'z') std::abort();
    }
  }
  for (const auto& mechanism : capabilities.auth_mechanisms()) {
    for (char c : mechanism) {
      if (c >= 'a' && c <= 'z') std::abort();
    }
  }
  (void)capabilities.size_limit();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  ReplyParser whole(kLimits);
  Outcome at_once;
  take(whole, whole.feed(input), at_once);
  check_bounded(whole);

  // Cut at four points taken from the input (not in pieces of 1 to 16 bytes,
  // a feed per 8 bytes): over a run every boundary is tried, at a fraction of
  // the calls.
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i + 1 < std::min<std::size_t>(size, 8); i += 2) {
    cuts.push_back((static_cast<std::size_t>(data[i]) << 8 | data[i + 1]) % (size + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.push_back(size);
  ReplyParser pieces(kLimits);
  Outcome in_pieces;
  std::size_t offset = 0;
  for (const std::size_t end : cuts) {
    if (!in_pieces.error.empty()) break;
    take(pieces, pieces.feed(input.substr(offset, end - offset)), in_pieces);
    check_bounded(pieces);
    offset = end;
  }

  if (at_once.error != in_pieces.error || at_once.replies.size() != in_pieces.replies.size()) {
    std::abort();
  }
  for (std::size_t i = 0; i < at_once.replies.size(); ++i) {
    const Reply& a = at_once.replies[i];
    const Reply& b = in_pieces.replies[i];
    if (a.code != b.code || a.lines != b.lines || a.enhanced_status != b.enhanced_status ||
        a.bare_line_feed != b.bare_line_feed) {
      std::abort();
    }
    check_reply(a);
  }
  return 0;
}
