// The CSV report (RFC 4180): a header row, then one row per message as it
// comes; CRLF line ends; a field is quoted when it holds a comma, a double
// quote, CR or LF, with quotes doubled. Subjects are the decoded text; invalid
// UTF-8 becomes U+FFFD so spreadsheets read the file as UTF-8.
#include "mailoauth/compat/email_report.hpp"
#include "mailoauth/compat/go_text.hpp"

namespace mailoauth::compat {
namespace {

std::string csv_field(std::string_view text) {
  std::string valid;
  for (std::size_t i = 0; i < text.size();) {
    const GoRune r = decode_go_rune(text, i);
    i += r.width;
    append_utf8(valid, r.rune);
  }
  if (valid.find_first_of(",\"\r\n") == std::string::npos) return valid;
  std::string quoted = "\"";
  for (char c : valid) {
    quoted += c;
    if (c == '"') quoted += '"';
  }
  quoted += '"';
  return quoted;
}

class CsvReportWriter final : public EmailReportWriter {
 public:
  explicit CsvReportWriter(ReportSink sink) : sink_(std::move(sink)) {}

  core::Result<void> begin(std::string_view, const ZonedTime&,
                           const std::vector<FolderCount>&) override {
    return sink_("folder,subject,date\r\n");
  }

  core::Result<void> row(const ReportMessage& message) override {
    return sink_(csv_field(message.folder) + "," + csv_field(message.subject) + "," +
                 (message.date.known ? format_go_rfc3339(message.date) : std::string()) + "\r\n");
  }

  core::Result<void> finish() override { return {}; }

 private:
  ReportSink sink_;
};

}  // namespace

std::unique_ptr<EmailReportWriter> make_csv_report_writer(ReportSink sink) {
  return std::make_unique<CsvReportWriter>(std::move(sink));
}

}  // namespace mailoauth::compat
