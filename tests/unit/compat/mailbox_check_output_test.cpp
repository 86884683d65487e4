// check-mail's plugin outputs, byte for byte, against golden files in
// golden/plugin/. Where each expected byte comes from (check-mail v0.8.20 with
// its vendored go-nagios v0.20.0):
//   - status sentences: cmd/check_imap_mailbox_basic/summary.go setSummary
//     ("%s: %s: No messages found in folders: %s", Folders.String() joins with
//     ", "), main.go GotMail branch ("%s: %s: %d messages found: %s"),
//     process.go ("%s: Error connecting to %s", "%s: Login error occurred",
//     "%s: %s" with validateErr, "%s: Error occurred checking mail: %s"),
//     main.go cfgErr branch ("%s: Error initializing application");
//   - "Inbox(2), Junk Email(0)": internal/mbxs/mbxs.go MessagesFoundSummary
//     (every folder, zero counts included);
//   - `mailbox not found: "Junk"`: internal/mbxs/list.go fmt.Errorf("%q");
//   - layout: go-nagios nagios.go ReturnCheckResults (section order; branding
//     as CheckOutputEOL + text + CheckOutputEOL), sections.go
//     handleServiceOutputSection (TrimRight " \t\n" without long output),
//     handleErrorsSection ("%s%s**%s**%s%s" then "* %v%s"),
//     handleThresholdsSection, handleLongServiceOutput, handlePerformanceData
//     (" |", each " '%s'=%s%s;%s;%s;%s;%s" from perfdata.go, then " \n");
//     CheckOutputEOL = " \n"; the default time metric ("time", ms).
// The oauth2 plugin's golden prints the shared mailbox where check-mail prints
// an empty account (its main.go uses account.Username, empty for oauth2).
#include "mailoauth/compat/mailbox_check_output.hpp"

#include <gtest/gtest.h>

#include "golden.hpp"

namespace mailoauth::compat {
namespace {

using namespace std::chrono_literals;
using testing::golden;

const core::Clock::WallTime kNow = core::Clock::WallTime(std::chrono::seconds(1'796'237'381));

OutputContext at(std::chrono::milliseconds elapsed) {
  return OutputContext{elapsed, std::nullopt};
}

MailboxCheckResult result(std::uint64_t inbox, std::uint64_t junk) {
  return MailboxCheckResult{"user@example.com",
                            {"Inbox", "Junk Email"},
                            {{"Inbox", inbox, {}}, {"Junk Email", junk, {}}},
                            {}};
}

TEST(MailboxCheckOutputTest, NowIsTheExpectedDate) {
  EXPECT_EQ(format_go_rfc3339(zoned(kNow, 0s)), "2026-12-02T18:49:41Z");
}

TEST(MailboxCheckOutputTest, OkNoMessages) {
  const auto output = mailbox_check_output(result(0, 0), {}, at(812ms), kNow);
  EXPECT_EQ(monitor::render(output), golden("plugin/ok_no_messages.txt"));
  EXPECT_EQ(output.exit_code(), 0);
}

TEST(MailboxCheckOutputTest, WarningMessagesFound) {
  const auto output = mailbox_check_output(result(2, 1), {}, at(950ms), kNow);
  EXPECT_EQ(monitor::render(output), golden("plugin/warning_messages_found.txt"));
  EXPECT_EQ(output.exit_code(), 1);
  EXPECT_EQ(monitor::render(mailbox_check_output(result(3, 0), {}, at(950ms), kNow)),
            golden("plugin/warning_messages_found_with_empty_folder.txt"));
}

TEST(MailboxCheckOutputTest, OkListsTheRequestedFolders) {
  // check-mail drops a missing INBOX silently from the checked list, but its
  // OK line names account.Folders, the list as requested.
  MailboxCheckResult r = result(0, 0);
  r.folders.erase(r.folders.begin());
  EXPECT_EQ(monitor::render(mailbox_check_output(r, {}, at(812ms), kNow)),
            golden("plugin/ok_no_messages.txt"));
}

TEST(MailboxCheckOutputTest, Oauth2PrintsTheSharedMailbox) {
  const MailboxCheckResult r{"shared@example.com", {"Inbox"}, {{"Inbox", 0, {}}}, {}};
  EXPECT_EQ(monitor::render(mailbox_check_output(r, {}, at(1203ms), kNow)),
            golden("plugin/ok_oauth2_shared_mailbox.txt"));
}

TEST(MailboxCheckOutputTest, CriticalConnect) {
  const auto output = connect_error_output(
      "imap.example.com", "dial tcp: lookup imap.example.com: no such host", at(31ms));
  EXPECT_EQ(monitor::render(output), golden("plugin/critical_connect.txt"));
  EXPECT_EQ(output.exit_code(), 2);
}

TEST(MailboxCheckOutputTest, CriticalLogin) {
  EXPECT_EQ(monitor::render(login_error_output("LOGIN failed.", at(402ms))),
            golden("plugin/critical_login.txt"));
}

TEST(MailboxCheckOutputTest, CriticalMailboxNotFound) {
  EXPECT_EQ(monitor::render(mailbox_not_found_output("Junk", at(377ms))),
            golden("plugin/critical_mailbox_not_found.txt"));
}

TEST(MailboxCheckOutputTest, CriticalCheckError) {
  EXPECT_EQ(
      monitor::render(check_error_output(
          "user@example.com: error occurred selecting mailbox: Mailbox doesn't exist", at(500ms))),
      golden("plugin/critical_check_error.txt"));
}

TEST(MailboxCheckOutputTest, UnknownInitializing) {
  // The flag-built account has no name, hence "for account " and a space.
  const auto output = initialization_error_output(
      "configuration validation failed: username not provided for account ", 0ms);
  EXPECT_EQ(monitor::render(output), golden("plugin/unknown_initializing.txt"));
  EXPECT_EQ(output.exit_code(), 3);
}

TEST(MailboxCheckOutputTest, Branding) {
  const OutputContext context{
      812ms, branding_line("check-mail 0.8.20 (https://github.com/atc0005/check-mail)")};
  const MailboxCheckResult r{"user@example.com", {"Inbox"}, {{"Inbox", 0, {}}}, {}};
  EXPECT_EQ(monitor::render(mailbox_check_output(r, {}, context, kNow)),
            golden("plugin/ok_branding.txt"));
  const OutputContext failing{31ms, context.branding};
  EXPECT_EQ(
      monitor::render(connect_error_output("imap.example.com", "connection refused", failing)),
      golden("plugin/critical_connect_branding.txt"));
}

TEST(MailboxCheckOutputTest, ThresholdsAgePerfdataAndSample) {
  MailboxCheckOptions options;
  options.warning = *monitor::Range::parse("5");
  options.critical = *monitor::Range::parse("10");
  options.age_warning = 2h;
  options.age_critical = 24h;
  options.folder_perfdata = true;
  MailboxCheckResult r = result(10, 2);
  r.folders[0].oldest = kNow - 26h;
  r.folders[1].oldest = kNow - 1h;
  r.sample = {
      {"Inbox", zoned(kNow - 26h - 1h, 1h), "Invoice | #42"},
      {"Junk Email", zoned(kNow - 9h - 49min - 41s, 0s), "You won"},
  };
  const auto output = mailbox_check_output(r, options, at(640ms), kNow);
  EXPECT_EQ(monitor::render(output), golden("plugin/critical_thresholds_sample.txt"));
  EXPECT_EQ(output.exit_code(), 2);
}

TEST(MailboxCheckOutputTest, CountThresholdsWithoutMail) {
  MailboxCheckOptions options;
  options.warning = *monitor::Range::parse("5");
  options.critical = *monitor::Range::parse("10");
  const MailboxCheckResult r{"user@example.com", {"Inbox"}, {{"Inbox", 0, {}}}, {}};
  EXPECT_EQ(monitor::render(mailbox_check_output(r, options, at(90ms), kNow)),
            golden("plugin/ok_count_thresholds_no_mail.txt"));
  MailboxCheckOptions expect_mail;
  expect_mail.critical = *monitor::Range::parse("@0");
  const auto output = mailbox_check_output(r, expect_mail, at(90ms), kNow);
  EXPECT_EQ(monitor::render(output), golden("plugin/critical_expected_mail_missing.txt"));
  EXPECT_EQ(output.exit_code(), 2);
}

TEST(MailboxCheckOutputTest, ThresholdsReplaceTheAnyMailWarning) {
  MailboxCheckOptions options;
  options.warning = *monitor::Range::parse("5");
  const auto output = mailbox_check_output(result(2, 1), options, at(1ms), kNow);
  EXPECT_EQ(output.state, core::NagiosState::Ok);
  EXPECT_TRUE(output.service_output.starts_with("OK: user@example.com: 3 messages found: "));
  // Age alone: young mail is fine, old mail warns.
  MailboxCheckOptions age;
  age.age_warning = 2h;
  MailboxCheckResult r = result(1, 0);
  r.folders[0].oldest = kNow - 30min;
  EXPECT_EQ(mailbox_check_output(r, age, at(1ms), kNow).state, core::NagiosState::Ok);
  r.folders[0].oldest = kNow - 3h;
  const auto old = mailbox_check_output(r, age, at(1ms), kNow);
  EXPECT_EQ(old.state, core::NagiosState::Warning);
  EXPECT_EQ(old.service_output,
            "WARNING: user@example.com: 1 messages found: Inbox(1), Junk Email(0); oldest message "
            "3h old (Inbox)");
}

TEST(MailboxCheckOutputTest, FolderLabelsThatCollideArePrefixed) {
  MailboxCheckOptions options;
  options.folder_perfdata = true;
  const MailboxCheckResult r{"u", {"Time", "a=b"}, {{"Time", 1, {}}, {"a=b", 0, {}}}, {}};
  EXPECT_EQ(monitor::render(mailbox_check_output(r, options, at(3ms), kNow)),
            "WARNING: u: 1 messages found: Time(1), a=b(0) | 'a_b'=0;;;0; 'folder_Time'=1;;;0; "
            "'messages'=1;;;0; 'time'=3ms;;;; \n");
}

TEST(MailboxCheckOutputTest, SampleIsBoundedAndOneLine) {
  MailboxCheckOptions options;
  options.sample_limit = 1;
  MailboxCheckResult r = result(2, 0);
  r.sample = {{"Inbox", zoned(kNow, 0s), "two\r\nlines\x01"}, {"Inbox", zoned(kNow, 0s), "x"}};
  const auto output = mailbox_check_output(r, options, at(1ms), kNow);
  EXPECT_EQ(output.long_output, "Messages (1 of 2): \n* Inbox, 2026-12-02T18:49:41Z: two  lines ");
  r.sample = {{"Inbox", zoned(kNow, 0s), std::string(200, 'a')}};
  const auto cut = mailbox_check_output(r, options, at(1ms), kNow);
  EXPECT_TRUE(cut.long_output.ends_with(std::string(120, 'a') + "\xE2\x80\xA6"));
  options.sample_limit = 0;
  EXPECT_EQ(mailbox_check_output(r, options, at(1ms), kNow).long_output, "");
}

TEST(MailboxCheckOutputTest, ValidateFoldersAsCheckMail) {
  const std::vector<std::string> server = {"INBOX", "Junk Email", "Archive/2024"};
  auto ok = validate_folders({"inbox", "Junk Email", "Archive/2024"}, server);
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, (std::vector<std::string>{"inbox", "Junk Email", "Archive/2024"}));
  // A missing INBOX is skipped without a word, as check-mail does.
  auto skipped = validate_folders({"Inbox/Sub", "Junk Email"}, server);
  ASSERT_TRUE(skipped);
  EXPECT_EQ(*skipped, (std::vector<std::string>{"Junk Email"}));
  auto missing = validate_folders({"Inbox", "junk email"}, server);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message(), "mailbox not found: \"junk email\"");
  EXPECT_EQ(missing.error().code(), "imap.mailbox_not_found");
}

}  // namespace
}  // namespace mailoauth::compat
