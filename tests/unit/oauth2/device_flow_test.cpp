// The device flow's rules without waiting: the authorization answer parsed
// (Microsoft's and Google's spellings), polling through authorization_pending,
// slow_down adding 5 s, access_denied and the code's lifetime ending the flow,
// and the request carrying the device code. The flow against a real server is
// in tests/integration/oauth2/.
#include "mailoauth/oauth2/device_flow.hpp"

#include <gtest/gtest.h>

#include "local_http_peer.hpp"

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;
using testing::LocalHttpPeer;

std::string http_json(int status, const std::string& body) {
  return fmt::format(
      "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, body.size(), body);
}

// Sleeps by moving the manual clock, and records the waits.
class ClockSleeper final : public Sleeper {
 public:
  explicit ClockSleeper(core::ManualClock& clock) : clock_(clock) {}
  void sleep(std::chrono::milliseconds duration) override {
    waits.push_back(duration);
    clock_.advance(duration);
  }
  std::vector<std::chrono::milliseconds> waits;

 private:
  core::ManualClock& clock_;
};

DeviceAuthorization authorization(std::chrono::seconds expires = 900s) {
  DeviceAuthorization result;
  result.device_code = core::Secret("DEVICE-CODE-1");
  result.user_code = "WDJB-MJHT";
  result.verification_uri = "https://example.com/device";
  result.expires_in = expires;
  result.interval = 5s;
  return result;
}

TEST(DeviceFlowTest, ParsesMicrosoftAnswer) {
  auto parsed = parse_device_authorization(
      200,
      R"({"user_code":"F3T5CDDXL","device_code":"DAQABAAEAAAD","verification_uri":"https://microsoft.com/devicelogin","expires_in":900,"interval":5,"message":"To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code F3T5CDDXL to authenticate."})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->user_code, "F3T5CDDXL");
  EXPECT_EQ(parsed->device_code.reveal(), "DAQABAAEAAAD");
  EXPECT_EQ(parsed->verification_uri, "https://microsoft.com/devicelogin");
  EXPECT_EQ(parsed->expires_in, 900s);
  EXPECT_EQ(parsed->interval, 5s);
  EXPECT_NE(parsed->message.find("F3T5CDDXL"), std::string::npos);
}

TEST(DeviceFlowTest, ParsesGoogleSpellingAndDefaults) {
  auto parsed = parse_device_authorization(
      200,
      R"({"device_code":"d","user_code":"ABC-DEF","verification_url":"https://www.google.com/device","expires_in":"1800"})");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->verification_uri, "https://www.google.com/device");
  EXPECT_EQ(parsed->expires_in, 1800s);
  EXPECT_EQ(parsed->interval, 5s) << "RFC 8628 default";
}

TEST(DeviceFlowTest, RefusesIncompleteOrErrorAnswers) {
  EXPECT_EQ(parse_device_authorization(200, R"({"user_code":"x"})").error().code(),
            "oauth2.bad_device_authorization");
  auto refused = parse_device_authorization(400, R"({"error":"invalid_scope"})");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "oauth2.invalid_scope");
  EXPECT_EQ(refused.error().message().rfind("device authorization: ", 0), 0u);
}

TEST(DeviceFlowTest, PollsThroughPendingAndSlowDown) {
  LocalHttpPeer peer(
      LocalHttpPeer::Mode::Answer,
      std::vector<std::string>{
          http_json(400, R"({"error":"authorization_pending"})"),
          http_json(400, R"({"error":"slow_down"})"),
          http_json(400, R"({"error":"authorization_pending"})"),
          http_json(
              200,
              R"({"access_token":"AT","token_type":"Bearer","refresh_token":"RT","expires_in":3600})"),
      });
  core::ManualClock clock;
  ClockSleeper sleeper(clock);
  HttpClient http;
  auto token =
      poll_device_token(http, peer.url(), {"client", core::Secret(), ClientAuthentication::None},
                        authorization(), clock, sleeper);
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  EXPECT_EQ(token->refresh_token.reveal(), "RT");
  ASSERT_EQ(sleeper.waits.size(), 3u);
  EXPECT_EQ(sleeper.waits[0], 5000ms);
  EXPECT_EQ(sleeper.waits[1], 10000ms) << "slow_down adds 5 s";
  EXPECT_EQ(sleeper.waits[2], 10000ms) << "and the longer interval stays";
  EXPECT_NE(
      peer.received().find("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code"),
      std::string::npos);
  EXPECT_NE(peer.received().find("device_code=DEVICE-CODE-1"), std::string::npos);
}

TEST(DeviceFlowTest, DeniedEndsTheFlow) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     std::vector<std::string>{http_json(400, R"({"error":"access_denied"})")});
  core::ManualClock clock;
  ClockSleeper sleeper(clock);
  HttpClient http;
  auto token =
      poll_device_token(http, peer.url(), {"client", core::Secret(), ClientAuthentication::None},
                        authorization(), clock, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.access_denied");
  EXPECT_TRUE(sleeper.waits.empty());
}

TEST(DeviceFlowTest, StopsWhenTheCodeExpires) {
  std::vector<std::string> pending(4, http_json(400, R"({"error":"authorization_pending"})"));
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer, pending);
  core::ManualClock clock;
  ClockSleeper sleeper(clock);
  HttpClient http;
  auto token =
      poll_device_token(http, peer.url(), {"client", core::Secret(), ClientAuthentication::None},
                        authorization(12s), clock, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.expired_token");
  EXPECT_EQ(peer.answered(), 3) << "polls at 0, 5 and 10 s, then the code is about to expire";
}

TEST(DeviceFlowTest, ExpiredTokenFromServerEndsTheFlow) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     std::vector<std::string>{http_json(400, R"({"error":"expired_token"})")});
  core::ManualClock clock;
  ClockSleeper sleeper(clock);
  HttpClient http;
  auto token =
      poll_device_token(http, peer.url(), {"client", core::Secret(), ClientAuthentication::None},
                        authorization(), clock, sleeper);
  ASSERT_FALSE(token.has_value());
  EXPECT_EQ(token.error().code(), "oauth2.expired_token");
}

}  // namespace
}  // namespace mailoauth::oauth2
