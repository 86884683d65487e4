// The report's shared parts: format names, file names, subject cleaning.
#include "mailoauth/compat/email_report.hpp"

#include "mailoauth/compat/go_text.hpp"

namespace mailoauth::compat {

core::Result<ReportFormat> parse_report_format(std::string_view text) {
  if (text == "textile") return ReportFormat::Textile;
  if (text == "json") return ReportFormat::Json;
  if (text == "csv") return ReportFormat::Csv;
  return core::fail(core::ErrorClass::Config, "report.bad_format",
                    "--format: \"" + std::string(text) + "\" is not textile, json or csv");
}

std::unique_ptr<EmailReportWriter> make_report_writer(ReportFormat format, ReportSink sink) {
  switch (format) {
    case ReportFormat::Json:
      return make_json_report_writer(std::move(sink));
    case ReportFormat::Csv:
      return make_csv_report_writer(std::move(sink));
    case ReportFormat::Textile:
      break;
  }
  return make_textile_report_writer(std::move(sink));
}

std::string clean_report_subject(std::string_view subject) {
  std::string out;
  out.reserve(subject.size());
  for (std::size_t i = 0; i < subject.size();) {
    const GoRune r = decode_go_rune(subject, i);
    i += r.width;
    if (r.rune > 0xFFFF) {
      out += kReportPlaceholder;
    } else if (r.rune == '|') {
      out += "&#124;";
    } else if (r.rune == '#') {
      out += "&#35;";
    } else {
      append_utf8(out, r.rune);
    }
  }
  return out;
}

std::string report_file_name(std::string_view account, const ZonedTime& when, ReportFormat format) {
  const char* extension = format == ReportFormat::Json  ? ".json"
                          : format == ReportFormat::Csv ? ".csv"
                                                        : ".txt";
  return std::string(account) + "-emails-report-" + format_go_file_stamp(when) + extension;
}

std::string log_file_name(const ZonedTime& when) {
  return "check-mail-" + format_go_file_stamp(when) + ".txt";
}

}  // namespace mailoauth::compat
