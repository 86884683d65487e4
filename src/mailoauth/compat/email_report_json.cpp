// The JSON report: one document written as it goes (the summary first, then
// each message), escaped by hand so nothing is kept in memory but one row.
// Invalid UTF-8 becomes U+FFFD, so the document is always valid JSON.
#include <fmt/format.h>

#include "mailoauth/compat/email_report.hpp"
#include "mailoauth/compat/go_text.hpp"

namespace mailoauth::compat {
namespace {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    const GoRune r = decode_go_rune(text, i);
    i += r.width;
    switch (r.rune) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (r.rune < 0x20 || r.rune == 0x7F || r.rune == 0x2028 || r.rune == 0x2029) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned>(r.rune));
        } else {
          append_utf8(out, r.rune);
        }
    }
  }
  out += '"';
  return out;
}

class JsonReportWriter final : public EmailReportWriter {
 public:
  explicit JsonReportWriter(ReportSink sink) : sink_(std::move(sink)) {}

  core::Result<void> begin(std::string_view account, const ZonedTime& generated,
                           const std::vector<FolderCount>& folders) override {
    std::string head = fmt::format("{{\"account\":{},\"generated\":{},\"summary\":[",
                                   json_string(account), json_string(format_go_rfc3339(generated)));
    for (std::size_t i = 0; i < folders.size(); ++i) {
      if (i > 0) head += ',';
      head += fmt::format("{{\"folder\":{},\"count\":{}}}", json_string(folders[i].name),
                          folders[i].messages);
    }
    head += "],\"messages\":[";
    return sink_(head);
  }

  core::Result<void> row(const ReportMessage& message) override {
    std::string line = rows_ == 0 ? "\n" : ",\n";
    ++rows_;
    line += fmt::format(
        "{{\"folder\":{},\"subject\":{},\"date\":{}}}", json_string(message.folder),
        json_string(message.subject),
        message.date.known ? json_string(format_go_rfc3339(message.date)) : std::string("null"));
    return sink_(line);
  }

  core::Result<void> finish() override {
    return sink_(fmt::format("{}],\"total\":{}}}\n", rows_ == 0 ? "" : "\n", rows_));
  }

 private:
  ReportSink sink_;
  std::uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<EmailReportWriter> make_json_report_writer(ReportSink sink) {
  return std::make_unique<JsonReportWriter>(std::move(sink));
}

}  // namespace mailoauth::compat
