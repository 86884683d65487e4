// The check plugins' shared flags: check-mail's defaults untouched (993,
// implicit TLS, no thresholds, no sample), mailoauth's additions parsed into
// the request (ranges, ages, -t for every deadline, STARTTLS), and bad values
// refused with check-mail's words.
#include "mailoauth/compat/mailbox_check_flags.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

core::Result<MailboxCheckRequest> parse(std::vector<std::string> arguments,
                                        bool need_server = true) {
  cli::GoFlagSet flags("check");
  MailboxCheckFlags common;
  common.add_to(flags);
  auto parsed = flags.parse(arguments);
  if (!parsed) return core::fail(parsed.error());
  return common.request(flags, need_server);
}

TEST(MailboxCheckFlags, DefaultsAreCheckMails) {
  auto request = parse({"-folders", "Inbox, Junk Email", "-server", "imap.example.com"});
  ASSERT_TRUE(request) << request.error().describe();
  EXPECT_EQ(request->folders, (std::vector<std::string>{"Inbox", "Junk Email"}));
  EXPECT_EQ(request->settings.port, 993);
  EXPECT_EQ(request->settings.tls_mode, imap::TlsMode::Implicit);
  EXPECT_FALSE(request->options.any_threshold());
  EXPECT_EQ(request->options.sample_limit, 0u);
  EXPECT_FALSE(request->options.folder_perfdata);
  EXPECT_EQ(request->settings.session_timeout, std::chrono::seconds(10));
  EXPECT_EQ(request->settings.connect_timeout, std::chrono::seconds(10));
}

TEST(MailboxCheckFlags, Additions) {
  auto request = parse({"-folders",
                        "INBOX",
                        "-server",
                        "h",
                        "-w",
                        "5",
                        "--critical",
                        "@10:20",
                        "--age-warning",
                        "2h",
                        "--age-critical=1d",
                        "-t",
                        "3",
                        "--starttls",
                        "-port",
                        "143",
                        "--unseen",
                        "--perfdata",
                        "--sample",
                        "4"});
  ASSERT_TRUE(request) << request.error().describe();
  ASSERT_TRUE(request->options.warning && request->options.critical);
  EXPECT_EQ(request->options.warning->text(), "5");
  EXPECT_EQ(request->options.critical->text(), "@10:20");
  EXPECT_EQ(request->options.age_warning, std::chrono::hours(2));
  EXPECT_EQ(request->options.age_critical, std::chrono::hours(24));
  EXPECT_EQ(request->settings.session_timeout, std::chrono::seconds(3));
  EXPECT_EQ(request->settings.command_timeout, std::chrono::seconds(3));
  EXPECT_EQ(request->settings.tls_mode, imap::TlsMode::StartTls);
  EXPECT_EQ(request->settings.port, 143);
  EXPECT_TRUE(request->unseen_only);
  EXPECT_TRUE(request->options.folder_perfdata);
  EXPECT_EQ(request->options.sample_limit, 4u);
}

TEST(MailboxCheckFlags, Refusals) {
  auto message = [](std::vector<std::string> arguments, bool need_server = true) {
    auto request = parse(std::move(arguments), need_server);
    return request ? std::string("accepted") : request.error().message();
  };
  EXPECT_EQ(message({"-server", "h"}), "one or more folders not provided");
  EXPECT_EQ(message({"-folders", "INBOX"}), "server FQDN not provided");
  EXPECT_EQ(message({"-folders", "INBOX"}, false), "accepted");  // -account gives the server
  EXPECT_EQ(message({"-folders", "INBOX", "-server", "h", "-port", "0"}),
            "invalid TCP port number 0 provided");
  EXPECT_EQ(message({"-folders", "INBOX", "-server", "h", "-net-type", "udp"}),
            "invalid network type keyword: udp");
  EXPECT_EQ(message({"-folders", "INBOX", "-server", "h", "-min-tls", "ssl3"}),
            "invalid TLS version keyword: ssl3");
  EXPECT_EQ(message({"-folders", "INBOX", "-server", "h", "-t", "0"}),
            "invalid timeout 0: give 1 to 3600 seconds");
  EXPECT_NE(message({"-folders", "INBOX", "-server", "h", "-w", "10x"}).find("--warning"),
            std::string::npos);
  EXPECT_NE(message({"-folders", "INBOX", "-server", "h", "--age-critical", "soon"}), "accepted");
}

}  // namespace
}  // namespace mailoauth::compat
