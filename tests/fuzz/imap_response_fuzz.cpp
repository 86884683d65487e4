// Fuzz target for what an IMAP server sends: the response parser, fed the
// input whole and again in small pieces (sizes taken from the input), must
// hand out the same responses and fail at the same point; every response goes
// through the readers built on it (capabilities, LIST, STATUS, SEARCH,
// ESEARCH, FETCH), and every string through modified UTF-7 and quoting.
// Parse or refuse, never crash; a decoded mailbox name re-encodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
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

Run parse(std::string_view bytes, std::string_view piece_sizes) {
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
  std::size_t turn = 0;
  while (offset < bytes.size()) {
    std::size_t size = bytes.size();
    if (!piece_sizes.empty()) {
      size = 1 + static_cast<unsigned char>(piece_sizes[turn++ % piece_sizes.size()]) % 7;
    }
    auto outcome = parser.feed(bytes.substr(offset, size));
    offset += size;
    for (; outcome && *outcome; outcome = parser.next()) run.responses.push_back(**outcome);
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

void visit(const Value& value) {
  if (auto text = value.as_astring()) {
    check_mailbox_name(*text);
    (void)quote_astring(*text);
  }
  for (const auto& element : value.list) visit(element);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Run whole = parse(input, {});
  const Run pieces = parse(input, input.substr(0, 16));
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
    for (const auto& value : response.values) visit(value);
    (void)to_display(Value::list_of(response.values));
  }
  return 0;
}
