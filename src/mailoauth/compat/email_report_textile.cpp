// check-mail's Textile report. The bytes are those of its text/template
// (internal/files/templates.go) after Go's {{- -}} whitespace trimming: the
// template starts with a newline; each message is one
// "| <folder> | <subject> | <date> |\n"; after the rows comes "\n\nh5. Reported
// emails", so an empty report has two blank lines after the table head.
#include <fmt/format.h>

#include "mailoauth/compat/email_report.hpp"

namespace mailoauth::compat {
namespace {

constexpr std::string_view kTrailer =
    "\n"
    "\n"
    "h5. Reported emails\n"
    "\n"
    "|_.Folder|_.Subject|_.Date|_.Reported on|\n"
    "| PLACEHOLDER | PLACEHOLDER | PLACEHOLDER | PLACEHOLDER |\n"
    "\n"
    "h5. Emails moved to applicable folders\n"
    "\n"
    "|_.Folder|_.Subject|_.Date|\n"
    "| PLACEHOLDER | PLACEHOLDER | PLACEHOLDER |\n"
    "\n"
    "h5. Deleted emails\n"
    "\n"
    "|_.Folder|_.Subject|_.Date|\n"
    "| PLACEHOLDER | PLACEHOLDER | PLACEHOLDER |\n";

class TextileReportWriter final : public EmailReportWriter {
 public:
  explicit TextileReportWriter(ReportSink sink) : sink_(std::move(sink)) {}

  core::Result<void> begin(std::string_view account, const ZonedTime& generated,
                           const std::vector<FolderCount>& folders) override {
    return sink_(fmt::format(
        "\n"
        "h4. {}\n"
        "\n"
        "h5. Overview\n"
        "\n"
        "| Report generated | {} |\n"
        "| Summary | {} |\n"
        "| Placeholder character | {} (substituted for Emoji incompatible with MySQL utf8mb3 "
        "character set) |\n"
        "\n"
        "h5. Emails found\n"
        "\n"
        "|_.Folder|_.Subject|_.Date|\n",
        account, format_go_report_time(generated), messages_found_summary(folders),
        kReportPlaceholder));
  }

  core::Result<void> row(const ReportMessage& message) override {
    return sink_(fmt::format("| {} | {} | {} |\n", message.folder,
                             clean_report_subject(message.subject),
                             format_go_rfc3339(message.date)));
  }

  core::Result<void> finish() override { return sink_(kTrailer); }

 private:
  ReportSink sink_;
};

}  // namespace

std::unique_ptr<EmailReportWriter> make_textile_report_writer(ReportSink sink) {
  return std::make_unique<TextileReportWriter>(std::move(sink));
}

}  // namespace mailoauth::compat
