// Tests for the logger: check-mail's level names, level filtering, the three
// formats byte for byte (with a fixed clock), secrets as fields, redacted wire
// traces, and escaping that keeps a hostile message on one line.
#include "mailoauth/core/log.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

const ManualClock& fixed_clock() {
  static const ManualClock clock(Clock::WallTime{std::chrono::milliseconds{1'700'000'000'123}});
  return clock;
}

TEST(LogTest, ParsesCheckMailLevels) {
  const char* names[] = {"disabled", "panic", "fatal", "error", "warn", "info", "debug", "trace"};
  for (const char* name : names) {
    auto level = parse_log_level(name);
    ASSERT_TRUE(level.has_value()) << name;
    EXPECT_EQ(to_string(*level), name);
  }
}

TEST(LogTest, UnknownLevelNamesTheChoices) {
  auto level = parse_log_level("verbose");
  ASSERT_FALSE(level.has_value());
  EXPECT_EQ(level.error().error_class(), ErrorClass::Config);
  EXPECT_EQ(level.error().message(), "unknown log level \"verbose\"");
  EXPECT_NE(level.error().remedy().find("disabled, panic, fatal, error, warn, info, debug, trace"),
            std::string::npos);
  EXPECT_FALSE(parse_log_format("xml").has_value());
}

TEST(LogTest, FiltersByLevel) {
  MemorySink sink;
  Logger logger(LogLevel::Warn, LogFormat::Console, &sink, fixed_clock());
  logger.info("hidden");
  logger.debug("hidden");
  logger.warn("shown");
  logger.error("shown too");
  EXPECT_EQ(sink.text(),
            "2023-11-14T22:13:20.123Z WARN  shown\n"
            "2023-11-14T22:13:20.123Z ERROR shown too\n");
}

TEST(LogTest, DisabledLogsNothing) {
  MemorySink sink;
  Logger logger(LogLevel::Disabled, LogFormat::Console, &sink, fixed_clock());
  logger.error("nothing");
  logger.log(LogLevel::Panic, "nothing");
  EXPECT_EQ(sink.text(), "");
}

TEST(LogTest, ConsoleFormatWithFields) {
  MemorySink sink;
  Logger logger(LogLevel::Info, LogFormat::Console, &sink, fixed_clock());
  logger.info("token refreshed", {{"account", "work"}, {"expires_in", 3599}, {"cached", false}});
  EXPECT_EQ(sink.text(),
            "2023-11-14T22:13:20.123Z INFO  token refreshed account=work expires_in=3599 "
            "cached=false\n");
}

TEST(LogTest, LogfmtQuotesWhereNeeded) {
  MemorySink sink;
  Logger logger(LogLevel::Info, LogFormat::Logfmt, &sink, fixed_clock());
  logger.info("server said no", {{"reply", "535 5.7.3 Authentication unsuccessful"}, {"a", ""}});
  EXPECT_EQ(sink.text(),
            "time=2023-11-14T22:13:20.123Z level=info msg=\"server said no\" "
            "reply=\"535 5.7.3 Authentication unsuccessful\" a=\"\"\n");
}

TEST(LogTest, JsonFormat) {
  MemorySink sink;
  Logger logger(LogLevel::Info, LogFormat::Json, &sink, fixed_clock());
  logger.info("sent", {{"queue_id", "4XyZ"}, {"bytes", 1234}, {"ok", true}});
  EXPECT_EQ(sink.text(),
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"level\":\"info\",\"msg\":\"sent\","
            "\"queue_id\":\"4XyZ\",\"bytes\":1234,\"ok\":true}\n");
}

TEST(LogTest, JsonSurvivesInvalidUtf8) {
  MemorySink sink;
  Logger logger(LogLevel::Info, LogFormat::Json, &sink, fixed_clock());
  logger.info("bad \xff bytes", {{"reply", "\xc3\x28"}});
  EXPECT_NE(sink.text().find("\"msg\":\"bad \\\\xff bytes\""), std::string::npos) << sink.text();
  EXPECT_NE(sink.text().find("\"reply\":\"\\\\xc3(\""), std::string::npos) << sink.text();
}

// What a server sends (a reply with CR/LF, an escape sequence, Latin-1 or
// broken UTF-8) is escaped in the message and in every field, in every
// format, by one function; valid UTF-8 stays as it is.
TEST(LogTest, ControlsAndInvalidUtf8AreEscapedEverywhere) {
  const std::string hostile = "ok\r\nFORGED \x1b[31mred\x7f caf\xe9 \xed\xa0\x80 \xc0\xaf";
  for (auto format : {LogFormat::Console, LogFormat::Logfmt, LogFormat::Json}) {
    MemorySink sink;
    Logger logger(LogLevel::Info, format, &sink, fixed_clock());
    logger.info(hostile, {{"reply", hostile}, {"name", "Zoë ✂"}});
    const std::string text = sink.text();
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
    for (char raw : {'\r', '\x1b', '\x7f', '\xe9', '\xed', '\xc0'}) {
      EXPECT_EQ(text.find(raw), std::string::npos) << "raw byte " << int(raw) << " in " << text;
    }
    for (const char* escape : {"\\r", "\\n", "\\x1b", "\\x7f", "\\xe9", "\\xed", "\\xc0"}) {
      EXPECT_NE(text.find(escape), std::string::npos) << escape << " missing in " << text;
    }
    EXPECT_NE(text.find("Zoë ✂"), std::string::npos) << "valid UTF-8 was changed: " << text;
  }
  EXPECT_EQ(escape_control_characters("caf\xc3\xa9\xff\t"), "caf\xc3\xa9\\xff\\t");
}

TEST(LogTest, SecretFieldIsRedactedInEveryFormat) {
  Secret token("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.payload.signature");
  for (auto format : {LogFormat::Console, LogFormat::Logfmt, LogFormat::Json}) {
    MemorySink sink;
    Logger logger(LogLevel::Info, format, &sink, fixed_clock());
    logger.info("using token", {{"token", token}});
    EXPECT_EQ(sink.text().find("eyJ0"), std::string::npos) << sink.text();
    EXPECT_NE(sink.text().find("<redacted 54 bytes>"), std::string::npos) << sink.text();
  }
}

TEST(LogTest, WireTraceRedactsAndNeedsTraceLevel) {
  MemorySink sink;
  Logger logger(LogLevel::Debug, LogFormat::Console, &sink, fixed_clock());
  logger.wire("C", "AUTH XOAUTH2 c2VjcmV0");
  EXPECT_EQ(sink.text(), "");
  logger.set_level(LogLevel::Trace);
  logger.wire("C", "AUTH XOAUTH2 c2VjcmV0\r\n");
  logger.wire("C", "c2VjcmV0", WireContent::Credentials);
  logger.wire("S", "235 2.7.0 Authentication successful");
  EXPECT_EQ(sink.text(),
            "2023-11-14T22:13:20.123Z TRACE AUTH XOAUTH2 <redacted 8 bytes>\\r\\n dir=C\n"
            "2023-11-14T22:13:20.123Z TRACE <redacted 8 bytes> dir=C\n"
            "2023-11-14T22:13:20.123Z TRACE 235 2.7.0 Authentication successful dir=S\n");
}

TEST(LogTest, ControlCharactersCannotForgeLines) {
  MemorySink sink;
  Logger logger(LogLevel::Info, LogFormat::Console, &sink, fixed_clock());
  logger.info("reply: 250 ok\r\n2023-11-14 INFO forged", {{"x", std::string_view("a\0b", 3)}});
  const std::string text = sink.text();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.find("250 ok\\r\\n2023"), std::string::npos);
  EXPECT_NE(text.find("x=\"a\\x00b\""), std::string::npos) << text;
}

TEST(LogTest, ErrorWithClassCodeAndRemedy) {
  MemorySink sink;
  Logger logger(LogLevel::Info, LogFormat::Logfmt, &sink, fixed_clock());
  logger.error(Error(ErrorClass::Config, "config.missing_key", "token_url is missing", "add it"));
  EXPECT_EQ(sink.text(),
            "time=2023-11-14T22:13:20.123Z level=error msg=\"token_url is missing\" class=config "
            "code=config.missing_key remedy=\"add it\"\n");
}

}  // namespace
}  // namespace mailoauth::core
