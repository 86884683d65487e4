// list-emails' per-account report, streamed: begin() with the folder counts
// (known from STATUS/EXAMINE before any message is fetched), one row() per
// message as it arrives, finish() once. Each writer keeps no rows, so 100,000
// messages cost one row's memory; bytes go to a ReportSink (the caller's file).
//   textile: check-mail v0.8.20's report (internal/files/templates.go) byte for
//            byte: h4 section, overview table, `h5. Emails found`, one
//            `| folder | subject | date |` row per message, the placeholder
//            sections after it; subjects cleaned as check-mail does.
//   json:    one document: {"account","generated","summary":[{"folder","count"}],
//            "messages":[{"folder","subject","date"}...],"total"}, subjects as
//            decoded (no Textile cleaning), escaped as Go's encoding/json
//            (go_json_string: invalid UTF-8 as \ufffd).
//   csv:     RFC 4180: header folder,subject,date, CRLF line ends, fields with
//            `,` `"` CR or LF quoted and quotes doubled.
// Also: check-mail's file names and its subject cleaning. No I/O.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/compat/go_time.hpp"
#include "mailoauth/compat/mailbox_check_output.hpp"
#include "mailoauth/core/error.hpp"

namespace mailoauth::compat {

enum class ReportFormat { Textile, Json, Csv };

// "textile", "json", "csv" (error code `report.bad_format`, Config).
core::Result<ReportFormat> parse_report_format(std::string_view text);

using ReportSink = std::function<core::Result<void>(std::string_view bytes)>;

struct ReportMessage {
  std::string folder;
  std::string subject;  // decoded (RFC 2047) UTF-8, as go-imap's Envelope.Subject
  ZonedTime date;       // the Date header with its own offset; known=false if unparsable
};

class EmailReportWriter {
 public:
  virtual ~EmailReportWriter() = default;
  // account: the section name; generated: the report time in local time.
  virtual core::Result<void> begin(std::string_view account, const ZonedTime& generated,
                                   const std::vector<FolderCount>& folders) = 0;
  virtual core::Result<void> row(const ReportMessage& message) = 0;
  virtual core::Result<void> finish() = 0;
};

std::unique_ptr<EmailReportWriter> make_report_writer(ReportFormat format, ReportSink sink);
std::unique_ptr<EmailReportWriter> make_textile_report_writer(ReportSink sink);
std::unique_ptr<EmailReportWriter> make_json_report_writer(ReportSink sink);
std::unique_ptr<EmailReportWriter> make_csv_report_writer(ReportSink sink);

// check-mail's subject cleaning (mbxs.CheckMail + textutils): every rune above
// U+FFFF becomes the placeholder ✂, `|` becomes `&#124;`, `#` becomes `&#35;`,
// and an invalid UTF-8 byte becomes U+FFFD (Go's range over a string).
std::string clean_report_subject(std::string_view subject);

inline constexpr std::string_view kReportPlaceholder = "\xE2\x9C\x82";  // ✂ U+2702

// "<account>-emails-report-2006-01-02-15_04.txt" (textile), ".json"/".csv" for
// the others; "check-mail-2006-01-02-15_04.txt" for the log. Local time.
std::string report_file_name(std::string_view account, const ZonedTime& when,
                             ReportFormat format = ReportFormat::Textile);
std::string log_file_name(const ZonedTime& when);

}  // namespace mailoauth::compat
