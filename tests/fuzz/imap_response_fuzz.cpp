// Fuzz target for what an IMAP server sends: the response parser, fed the
// input whole and again cut at four points taken from the input (so over a
// run every boundary is tried: in a line, between CR and LF, inside a literal
// and its announcement), must hand out the same responses and fail at the
// same point; every response goes through the readers built on it
// (capabilities, LIST, STATUS, SEARCH, ESEARCH, FETCH), and every string
// through modified UTF-7 and quoting. Parse or refuse, never crash; a decoded
// mailbox name re-encodes to itself.
// Shaped for speed (issue 11: 0.5 M runs in 90 s where sasl_plain made 24 M):
// it used to feed the second copy in pieces of 1 to 7 bytes, a parser call
// per 4 bytes, and copied every response twice; cutting at a few points
// chosen by the input reaches the same boundaries over a run, and responses
// are moved, not copied.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/imap/capabilities.hpp"
#include "mailoauth/imap/fetch_data.hpp"
#include "mailoauth/imap/mailbox_data.hpp"
#include "mailoauth/imap/modified_utf7.hpp"
#include "mailoauth/imap/quoting.hpp"
#include "mailoauth/imap/response_parser.hpp"

namespace {

using namespace mailoauth::imap;

struct Run {
  std::vector<Response> responses;
  bool failed = false;
};

// `cuts`: offsets at which the input is split between feed() calls (sorted).
Run parse(std::string_view bytes, const std::vector<std::size_t>& cuts) {
  ParserLimits limits;
  limits.max_line_length = 4096;
  limits.max_literal_size = 64 * 1024;
  limits.max_other_literal_size = 1024;
  limits.max_depth = 8;
  limits.max_list_elements = 256;
  limits.max_response_size = 128 * 1024;
  ResponseParser parser(limits);
  Run run;
  std::size_t offset = 0;
  for (std::size_t turn = 0; offset < bytes.size(); ++turn) {
    const std::size_t end = turn < cuts.size() ? cuts[turn] : bytes.size();
    auto outcome = parser.feed(bytes.substr(offset, end - offset));
    offset = end;
    for (; outcome && *outcome; outcome = parser.next()) {
      run.responses.push_back(std::move(**outcome));
    }
    if (!outcome) {
      run.failed = true;
      if (parser.buffered() != 0) std::abort();
      return run;
    }
  }
  return run;
}

void check_mailbox_name(std::string_view utf7) {
  auto decoded = decode_modified_utf7(utf7);
  if (!decoded) return;
  auto encoded = encode_modified_utf7(*decoded);
  if (!encoded) std::abort();
  auto again = decode_modified_utf7(*encoded);
  if (!again || *again != *decoded) std::abort();
  (void)quote_mailbox(*decoded);
}

// Mailbox names are short (the parser's limit for a literal outside FETCH is
// 1 KiB here); round-tripping a 64 KiB message body through modified UTF-7
// cost most of a run and tested nothing a short string does not.
constexpr std::size_t kMaxNameSize = 1024;

void visit(const Value& value) {
  if (auto text = value.as_astring(); text && text->size() <= kMaxNameSize) {
    check_mailbox_name(*text);
    (void)quote_astring(*text);
  }
  for (const auto& element : value.list) visit(element);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // Four cuts, each from two bytes of the input's start, anywhere in it.
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i + 1 < std::min<std::size_t>(size, 8); i += 2) {
    cuts.push_back((static_cast<std::size_t>(data[i]) << 8 | data[i + 1]) % (size + 1));
  }
  std::sort(cuts.begin(), cuts.end());
  const Run whole = parse(input, {});
  const Run pieces = parse(input, cuts);
  if (whole.failed != pieces.failed || whole.responses != pieces.responses) std::abort();
  for (const auto& response : whole.responses) {
    (void)capabilities_from(response);
    (void)parse_list(response);
    (void)parse_status(response);
    (void)parse_search(response);
    if (auto search = parse_esearch(response)) (void)expand_ranges(search->all, 1000);
    if (auto fetch = parse_fetch(response)) {
      (void)fetch->uid();
      (void)fetch->flags();
      (void)fetch->internal_date();
    }
    for (const auto& value : response.values) {
      visit(value);
      (void)to_display(value);
    }
  }
  return 0;
}
