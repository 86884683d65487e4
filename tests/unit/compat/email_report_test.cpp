// list-emails' report writers, byte for byte against golden/report/. The
// Textile bytes are derived from check-mail v0.8.20 internal/files/templates.go
// (reportFileTemplateText) by applying Go text/template's trimming by hand:
// the leading "\n" of the raw string; `{{ range ... -}}`, `{{- ... -}}` around
// the inner actions remove the newlines between them, so each message yields
// "| folder | subject | date |" plus the one "\n" that sits between
// `{{- end }}` (if) and `{{ end -}}` (range); after the outer `{{ end }}` the
// text resumes with "\n\nh5. Reported emails". "Report generated" is
// ReportTime.Format("2006-01-02 15:04:05"); Summary is MessagesFoundSummary;
// the date is Envelope.Date.Format(time.RFC3339) (go-imap's zero time when the
// Date header does not parse); the subject is ModifiedSubject when cleaning
// changed it (internal/mbxs/list.go, internal/textutils/replace.go).
// File names: internal/files/templates.go ReportFilenameTemplate and
// internal/config/constants.go logFilenameTemplate, layout "2006-01-02-15_04".
#include "mailoauth/compat/email_report.hpp"

#include <gtest/gtest.h>

#include "golden.hpp"

namespace mailoauth::compat {
namespace {

using namespace std::chrono_literals;
using testing::golden;

const core::Clock::WallTime kNow = core::Clock::WallTime(std::chrono::seconds(1'796'237'381));

struct Collected {
  std::string bytes;
  std::size_t writes = 0;
  ReportSink sink() {
    return [this](std::string_view piece) -> core::Result<void> {
      bytes += piece;
      ++writes;
      return {};
    };
  }
};

std::vector<ReportMessage> messages() {
  ZonedTime unknown;
  unknown.known = false;
  return {
      {"Inbox", "Invoice #42 | paid \xF0\x9F\x92\xB0", zoned(kNow - 29h - 34min - 41s, -5h)},
      {"Inbox", "Re: \"hi\", all", unknown},
      {"Junk EMail", "Win\xFF big", zoned(kNow - 9h - 49min - 41s, 0s)},
  };
}

std::string write(ReportFormat format, std::string_view account, std::uint64_t inbox,
                  std::uint64_t junk, const std::vector<ReportMessage>& rows) {
  Collected collected;
  auto writer = make_report_writer(format, collected.sink());
  EXPECT_TRUE(
      writer->begin(account, zoned(kNow, 1h), {{"Inbox", inbox, {}}, {"Junk EMail", junk, {}}}));
  for (const auto& row : rows) EXPECT_TRUE(writer->row(row));
  EXPECT_TRUE(writer->finish());
  EXPECT_EQ(collected.writes, rows.size() + (format == ReportFormat::Csv ? 1 : 2));
  return collected.bytes;
}

TEST(EmailReportTest, TextileAsCheckMail) {
  EXPECT_EQ(write(ReportFormat::Textile, "email1", 2, 1, messages()),
            golden("report/email1.textile"));
}

TEST(EmailReportTest, TextileEmpty) {
  EXPECT_EQ(write(ReportFormat::Textile, "email2", 0, 0, {}),
            golden("report/email2_empty.textile"));
}

TEST(EmailReportTest, Json) {
  EXPECT_EQ(write(ReportFormat::Json, "email1", 2, 1, messages()), golden("report/email1.json"));
  EXPECT_EQ(write(ReportFormat::Json, "email2", 0, 0, {}), golden("report/email2_empty.json"));
}

TEST(EmailReportTest, JsonEscapesControls) {
  const std::string out =
      write(ReportFormat::Json, "a\"b", 0, 0,
            {{"F\\", std::string("x\n\t\x01\x7f\xE2\x80\xA8", 8), zoned(kNow, 0s)}});
  EXPECT_NE(out.find(R"("account":"a\"b")"), std::string::npos);
  EXPECT_NE(out.find("{\"folder\":\"F\\\\\",\"subject\":\"x\\n\\t\\u0001\x7f\\u2028\""),
            std::string::npos)
      << out;
}

TEST(EmailReportTest, Csv) {
  EXPECT_EQ(write(ReportFormat::Csv, "email1", 2, 1, messages()), golden("report/email1.csv"));
  const std::string out =
      write(ReportFormat::Csv, "x", 0, 0, {{"A,B", "line\r\nbreak", zoned(kNow, 0s)}});
  EXPECT_EQ(out, "folder,subject,date\r\n\"A,B\",\"line\r\nbreak\",2026-12-02T18:49:41Z\r\n");
}

TEST(EmailReportTest, SinkFailureComesBack) {
  auto writer =
      make_report_writer(ReportFormat::Textile, [](std::string_view) -> core::Result<void> {
        return core::fail(core::ErrorClass::Temporary, "file.write", "disk full");
      });
  auto begun = writer->begin("a", zoned(kNow, 0s), {});
  ASSERT_FALSE(begun);
  EXPECT_EQ(begun.error().code(), "file.write");
}

// textutils.ReplaceAstralUnicode + ReplaceTextileFormatCharacters.
TEST(EmailReportTest, SubjectCleaning) {
  EXPECT_EQ(clean_report_subject("plain"), "plain");
  EXPECT_EQ(clean_report_subject("a|b#c"), "a&#124;b&#35;c");
  EXPECT_EQ(clean_report_subject("hi \xF0\x9F\x98\x80!"), "hi \xE2\x9C\x82!");
  EXPECT_EQ(clean_report_subject("caf\xC3\xA9 \xE2\x82\xAC"),
            "caf\xC3\xA9 \xE2\x82\xAC");  // BMP kept
  EXPECT_EQ(clean_report_subject("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(clean_report_subject("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(EmailReportTest, FileNames) {
  EXPECT_EQ(report_file_name("email1", zoned(kNow, 1h)),
            "email1-emails-report-2026-12-02-19_49.txt");
  EXPECT_EQ(report_file_name("email1", zoned(kNow, 1h), ReportFormat::Json),
            "email1-emails-report-2026-12-02-19_49.json");
  EXPECT_EQ(report_file_name("email1", zoned(kNow, 0s), ReportFormat::Csv),
            "email1-emails-report-2026-12-02-18_49.csv");
  EXPECT_EQ(log_file_name(zoned(kNow, 1h)), "check-mail-2026-12-02-19_49.txt");
}

TEST(EmailReportTest, Formats) {
  EXPECT_EQ(*parse_report_format("textile"), ReportFormat::Textile);
  EXPECT_EQ(*parse_report_format("json"), ReportFormat::Json);
  EXPECT_EQ(*parse_report_format("csv"), ReportFormat::Csv);
  EXPECT_EQ(parse_report_format("xml").error().code(), "report.bad_format");
}

}  // namespace
}  // namespace mailoauth::compat
