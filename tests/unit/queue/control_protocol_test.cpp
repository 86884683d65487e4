// The control socket's lines: every command round-trips; an id must be a
// queue id (a path such as ../x, or text with CR/LF, is refused before the
// relay sees it); replies carry the outcome or the relay's error class and
// code back to the tool; a line that is not a reply is a Bug, not a success.
#include "mailoauth/queue/control_protocol.hpp"

#include <gtest/gtest.h>

namespace mailoauth::queue {
namespace {

TEST(ControlProtocol, EveryCommandRoundTrips) {
  const std::vector<ControlRequest> requests{{ControlVerb::Retry, "18f3a2b4c5d6e7-3fa2c1"},
                                             {ControlVerb::RetryAll, ""},
                                             {ControlVerb::RetryRoute, "contoso"},
                                             {ControlVerb::Hold, "18f3a2b4c5d6e7-3fa2c1"},
                                             {ControlVerb::Release, "18f3a2b4c5d6e7-3fa2c1"},
                                             {ControlVerb::Delete, "1-2"},
                                             {ControlVerb::Flush, ""}};
  for (const ControlRequest& request : requests) {
    const std::string line = encode_control_request(request);
    ASSERT_EQ(line.back(), '\n');
    auto parsed = parse_control_request(std::string_view(line).substr(0, line.size() - 1));
    ASSERT_TRUE(parsed) << line << parsed.error().describe();
    EXPECT_EQ(parsed->verb, request.verb);
    EXPECT_EQ(parsed->argument, request.argument);
  }
  EXPECT_EQ(encode_control_request({ControlVerb::Hold, "1-2"}), "hold 1-2\n");
  EXPECT_EQ(encode_control_request({ControlVerb::Flush, ""}), "flush\n");
}

TEST(ControlProtocol, HostileIdsAndMalformedLinesAreRefused) {
  for (const char* line : {"hold ../../etc/passwd", "hold 1-2\r\nflush", "delete 1-2/../x",
                           "delete ", "hold", "retry ABC-1", "release 1-2 extra", "flush now",
                           "retry-route ", "retry-route a b", "shutdown", ""}) {
    auto parsed = parse_control_request(line);
    ASSERT_FALSE(parsed) << line;
    EXPECT_EQ(parsed.error().code(), "queue.control_request") << line;
    EXPECT_EQ(parsed.error().message().find('\n'), std::string::npos) << line;
  }
  EXPECT_FALSE(parse_control_request(std::string(kMaxControlLine + 1, 'a')));
}

TEST(ControlProtocol, RepliesCarryOutcomeOrError) {
  const std::string ok = encode_control_reply(ControlOutcome{3, "3 deferred messages due now"});
  EXPECT_EQ(ok, "ok 3 3 deferred messages due now\n");
  auto parsed = parse_control_reply(std::string_view(ok).substr(0, ok.size() - 1));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->count, 3u);
  EXPECT_EQ(parsed->text, "3 deferred messages due now");

  const std::string refused = encode_control_reply(core::fail(
      core::ErrorClass::Temporary, "queue.busy", "message 1-2 is being delivered\r\nright now"));
  EXPECT_EQ(refused, "error temporary queue.busy message 1-2 is being delivered\\r\\nright now\n");
  auto error = parse_control_reply(std::string_view(refused).substr(0, refused.size() - 1));
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(error.error().code(), "queue.busy");

  for (const char* line :
       {"", "ok", "ok x text", "error", "error nonsense queue.x text", "fine 1 text"}) {
    auto bad = parse_control_reply(line);
    ASSERT_FALSE(bad) << line;
    EXPECT_EQ(bad.error().code(), "queue.control_reply") << line;
  }
}

}  // namespace
}  // namespace mailoauth::queue
