// The JSON report: one document written as it goes (the summary first, then
// each message), so nothing is kept in memory but one row.
// Strings are escaped as Go's encoding/json does (go_json_string): the
// document is always valid JSON, whatever bytes a subject holds.
#include <fmt/format.h>

#include "mailoauth/compat/email_report.hpp"
#include "mailoauth/compat/go_text.hpp"

namespace mailoauth::compat {
namespace {

class JsonReportWriter final : public EmailReportWriter {
 public:
  explicit JsonReportWriter(ReportSink sink) : sink_(std::move(sink)) {}

  core::Result<void> begin(std::string_view account, const ZonedTime& generated,
                           const std::vector<FolderCount>& folders) override {
    std::string head =
        fmt::format("{{\"account\":{},\"generated\":{},\"summary\":[", go_json_string(account),
                    go_json_string(format_go_rfc3339(generated)));
    for (std::size_t i = 0; i < folders.size(); ++i) {
      if (i > 0) head += ',';
      head += fmt::format("{{\"folder\":{},\"count\":{}}}", go_json_string(folders[i].name),
                          folders[i].messages);
    }
    head += "],\"messages\":[";
    return sink_(head);
  }

  core::Result<void> row(const ReportMessage& message) override {
    std::string line = rows_ == 0 ? "\n" : ",\n";
    ++rows_;
    line += fmt::format(
        "{{\"folder\":{},\"subject\":{},\"date\":{}}}", go_json_string(message.folder),
        go_json_string(message.subject),
        message.date.known ? go_json_string(format_go_rfc3339(message.date)) : std::string("null"));
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
