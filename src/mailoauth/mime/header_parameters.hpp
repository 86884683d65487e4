// The value and parameters of a MIME header field (RFC 2045 section 5.1):
// `multipart/mixed; boundary="b1"`, `attachment; filename=report.pdf`. The
// Graph large-message path needs a part's type, boundary, file name and
// disposition without GMime (this file is in the main library, which the
// relay links and which does not load glib), so this is a small scanner:
// quoted strings with backslash escapes, RFC 2231 extended and continued
// parameters (`filename*=utf-8''%E2%82%AC.pdf`, `filename*0*=`, `filename*1=`)
// joined and percent-decoded, and RFC 2047 encoded words in a plain
// parameter (`filename="=?utf-8?B?...?="`, as Outlook writes them) decoded by
// compat::decode_encoded_words. Pure, no I/O; the field value is bounded by
// the header block's own limit, and at most kMaxParameters are kept.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailoauth::mime {

inline constexpr std::size_t kMaxParameters = 64;

struct ParameterizedValue {
  std::string value;  // lower case, trimmed: "multipart/mixed", "attachment"
  // Names lower case, values as written (quotes and escapes removed), in
  // order; RFC 2231 sections keep their `*n*` suffix here.
  std::vector<std::pair<std::string, std::string>> parameters;

  // The parameter's value, UTF-8: RFC 2231 sections joined and decoded (the
  // charsets UTF-8, US-ASCII and ISO-8859-1; other bytes are kept), else the
  // plain parameter with its encoded words decoded; empty when absent.
  std::string parameter(std::string_view name) const;
};

ParameterizedValue parse_parameterized(std::string_view field_value);

}  // namespace mailoauth::mime
