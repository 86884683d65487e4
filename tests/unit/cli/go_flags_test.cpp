// GoFlagSet against the behaviour of Go's flag package: every accepted
// spelling, where parsing stops, Go's error texts word for word, and the
// PrintDefaults layout byte for byte.
#include "mailoauth/cli/go_flags.hpp"

#include <gtest/gtest.h>

namespace mailoauth::cli {
namespace {

struct Flags {
  std::string server;
  std::int64_t port = 0;
  bool branding = false;
  std::vector<std::string> folders;
  GoFlagSet set{"check_imap_mailbox_basic"};

  Flags() {
    set.add_string("server", &server, "",
                   "The fully-qualified domain name of the remote mail server.");
    set.add_int("port", &port, 993, "TCP port used to connect to the remote mail server.");
    set.add_bool("branding", &branding, false, "Toggles emission of branding details.");
    set.add_list("folders", &folders, "Folders or IMAP mailboxes to check.");
  }

  core::Result<std::vector<std::string>> parse(std::vector<std::string> arguments) {
    return set.parse(arguments);
  }
};

TEST(GoFlagsTest, AcceptsEverySpelling) {
  Flags flags;
  auto rest = flags.parse({"-server", "a.example", "--port=143", "--branding", "-folders=Inbox"});
  ASSERT_TRUE(rest.has_value()) << rest.error().message();
  EXPECT_TRUE(rest->empty());
  EXPECT_EQ(flags.server, "a.example");
  EXPECT_EQ(flags.port, 143);
  EXPECT_TRUE(flags.branding);
  EXPECT_EQ(flags.folders, std::vector<std::string>{"Inbox"});
  EXPECT_TRUE(flags.set.was_set("port"));
}

TEST(GoFlagsTest, DefaultsApplyWhenAbsent) {
  Flags flags;
  ASSERT_TRUE(flags.parse({}).has_value());
  EXPECT_EQ(flags.port, 993);
  EXPECT_FALSE(flags.set.was_set("port"));
}

TEST(GoFlagsTest, ListFlagsSplitTrimAndAppend) {
  Flags flags;
  ASSERT_TRUE(
      flags.parse({"--folders", "Inbox, Junk Email", "--folders", " Archive "}).has_value());
  EXPECT_EQ(flags.folders, (std::vector<std::string>{"Inbox", "Junk Email", "Archive"}));
}

TEST(GoFlagsTest, UnsplitListFlagsKeepEachValueAsGiven) {
  // A folder named "Sales, Europe" cannot go through -folders (issue 11).
  std::vector<std::string> folder;
  GoFlagSet set{"check_imap_mailbox_basic"};
  set.add_list("folder", &folder, "One folder.", false);
  ASSERT_TRUE(set.parse(std::vector<std::string>{"-folder", "Sales, Europe", "--folder= Inbox"})
                  .has_value());
  EXPECT_EQ(folder, (std::vector<std::string>{"Sales, Europe", " Inbox"}));
}

TEST(GoFlagsTest, LaterValuesOverride) {
  Flags flags;
  ASSERT_TRUE(flags.parse({"-port", "1", "-port", "2"}).has_value());
  EXPECT_EQ(flags.port, 2);
}

TEST(GoFlagsTest, BoolDoesNotConsumeTheNextArgument) {
  Flags flags;
  auto rest = flags.parse({"-branding", "false", "-port", "1"});
  ASSERT_TRUE(rest.has_value());
  EXPECT_TRUE(flags.branding);
  EXPECT_EQ(*rest, (std::vector<std::string>{"false", "-port", "1"}));
  EXPECT_EQ(flags.port, 993);
}

TEST(GoFlagsTest, BoolWithExplicitValue) {
  Flags flags;
  ASSERT_TRUE(flags.parse({"-branding=true", "-branding=F"}).has_value());
  EXPECT_FALSE(flags.branding);
}

TEST(GoFlagsTest, StopsAtFirstNonFlagDashAndDoubleDash) {
  Flags a;
  EXPECT_EQ(*a.parse({"x", "-port", "1"}), (std::vector<std::string>{"x", "-port", "1"}));
  Flags b;
  EXPECT_EQ(*b.parse({"-", "-port", "1"}), (std::vector<std::string>{"-", "-port", "1"}));
  Flags c;
  EXPECT_EQ(*c.parse({"--", "-port", "1"}), (std::vector<std::string>{"-port", "1"}));
  EXPECT_EQ(c.port, 993);
}

TEST(GoFlagsTest, ValueMayStartWithDash) {
  Flags flags;
  ASSERT_TRUE(flags.parse({"-server", "-weird"}).has_value());
  EXPECT_EQ(flags.server, "-weird");
}

void expect_error(std::vector<std::string> arguments, std::string_view message) {
  Flags flags;
  auto rest = flags.parse(std::move(arguments));
  ASSERT_FALSE(rest.has_value());
  EXPECT_EQ(rest.error().message(), message);
  EXPECT_EQ(rest.error().error_class(), core::ErrorClass::Config);
}

TEST(GoFlagsTest, GoErrorMessagesWordForWord) {
  expect_error({"-nope"}, "flag provided but not defined: -nope");
  expect_error({"--nope=1"}, "flag provided but not defined: -nope");
  expect_error({"-port"}, "flag needs an argument: -port");
  expect_error({"-port", "abc"}, "invalid value \"abc\" for flag -port: parse error");
  expect_error({"-port", "99999999999999999999"},
               "invalid value \"99999999999999999999\" for flag -port: value out of range");
  expect_error({"-branding=yes"}, "invalid boolean value \"yes\" for -branding: parse error");
  expect_error({"---port=1"}, "bad flag syntax: ---port=1");
  expect_error({"-=1"}, "bad flag syntax: -=1");
}

TEST(GoFlagsTest, UndefinedHelpIsReportedAsHelpRequest) {
  Flags flags;
  auto rest = flags.parse({"-help"});
  ASSERT_FALSE(rest.has_value());
  EXPECT_EQ(rest.error().code(), "cli.help_requested");
}

TEST(GoFlagsTest, GoIntegerSyntax) {
  std::int64_t value = 0;
  bool range = false;
  EXPECT_TRUE(parse_go_int("0x1f", &value, &range));
  EXPECT_EQ(value, 31);
  EXPECT_TRUE(parse_go_int("0o17", &value, &range));
  EXPECT_EQ(value, 15);
  EXPECT_TRUE(parse_go_int("017", &value, &range));
  EXPECT_EQ(value, 15);
  EXPECT_TRUE(parse_go_int("0b101", &value, &range));
  EXPECT_EQ(value, 5);
  EXPECT_TRUE(parse_go_int("0x_1_f", &value, &range));
  EXPECT_EQ(value, 31);
  EXPECT_TRUE(parse_go_int("-9223372036854775808", &value, &range));
  EXPECT_EQ(value, INT64_MIN);
  EXPECT_TRUE(parse_go_int("+7", &value, &range));
  EXPECT_EQ(value, 7);
  EXPECT_TRUE(parse_go_int("0", &value, &range));
  EXPECT_EQ(value, 0);
  EXPECT_FALSE(parse_go_int("1_000", &value, &range));  // underscores need a prefix
  EXPECT_FALSE(parse_go_int("08", &value, &range));
  EXPECT_FALSE(parse_go_int("0x", &value, &range));
  EXPECT_FALSE(parse_go_int("", &value, &range));
  EXPECT_FALSE(parse_go_int(" 1", &value, &range));
  EXPECT_FALSE(parse_go_int("9223372036854775808", &value, &range));
  EXPECT_TRUE(range);
}

TEST(GoFlagsTest, GoBoolSyntax) {
  bool value = false;
  for (const char* yes : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_TRUE(parse_go_bool(yes, &value) && value) << yes;
  }
  for (const char* no : {"0", "f", "F", "FALSE", "false", "False"}) {
    EXPECT_TRUE(parse_go_bool(no, &value) && !value) << no;
  }
  EXPECT_FALSE(parse_go_bool("yes", &value));
  EXPECT_FALSE(parse_go_bool("tRUE", &value));
}

TEST(GoFlagsTest, PrintDefaultsLayoutByteForByte) {
  std::string account, token;
  bool encode = false;
  GoFlagSet set("xoauth2");
  set.add_string("account", &account, "", "username or mailbox in email format");
  set.add_string("token", &token, "", "access token");
  set.add_bool("encode", &encode, false, "encode XOAuth2 string for use in SASL XOAUTH2");
  EXPECT_EQ(set.defaults(),
            "  -account string\n"
            "    \tusername or mailbox in email format\n"
            "  -encode\n"
            "    \tencode XOAuth2 string for use in SASL XOAUTH2\n"
            "  -token string\n"
            "    \taccess token\n");
}

TEST(GoFlagsTest, PrintDefaultsShowsNonZeroDefaultsAndBackquotedNames) {
  std::string level, file;
  std::int64_t port = 0;
  bool h = false;
  std::vector<std::string> folders;
  GoFlagSet set("tool");
  set.add_string("log-level", &level, "info", "Sets log level.");
  set.add_string("filename", &file, "", "Read the token from `path`.");
  set.add_int("port", &port, 993, "TCP port.\nSecond line.");
  set.add_bool("h", &h, false, "Show help (shorthand)");
  set.add_list("folders", &folders, "Folders to check.");
  EXPECT_EQ(set.defaults(),
            "  -filename path\n"
            "    \tRead the token from path.\n"
            "  -folders value\n"
            "    \tFolders to check.\n"
            "  -h\tShow help (shorthand)\n"
            "  -log-level string\n"
            "    \tSets log level. (default \"info\")\n"
            "  -port int\n"
            "    \tTCP port.\n"
            "    \tSecond line. (default 993)\n");
}

}  // namespace
}  // namespace mailoauth::cli
