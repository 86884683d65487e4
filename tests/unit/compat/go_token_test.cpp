// Go's oauth2.Token JSON byte for byte (as json.MarshalIndent writes it), Go's
// RFC 3339 time format, parsing back, and Token.Valid()'s 10-second margin.
#include "mailoauth/compat/go_token.hpp"

#include <gtest/gtest.h>

namespace mailoauth::compat {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const core::Clock::WallTime kTime =
    core::Clock::WallTime(seconds(1'700'000'000) + nanoseconds(123'450'000));  // 22:13:20.12345Z

TEST(GoTokenTest, MarshalIndentLayout) {
  GoToken token;
  token.access_token = core::Secret("eyJ0.a.b");
  token.token_type = "Bearer";
  token.expiry = kTime;
  token.expires_in = 3599;
  EXPECT_EQ(format_go_token(token, 0s).reveal(),
            "{\n"
            "\t\"access_token\": \"eyJ0.a.b\",\n"
            "\t\"token_type\": \"Bearer\",\n"
            "\t\"expiry\": \"2023-11-14T22:13:20.12345Z\",\n"
            "\t\"expires_in\": 3599\n"
            "}");
}

TEST(GoTokenTest, OmitsEmptyFieldsLikeGo) {
  GoToken token;
  token.access_token = core::Secret("t");
  EXPECT_EQ(format_go_token(token, 0s).reveal(),
            "{\n\t\"access_token\": \"t\",\n\t\"expiry\": \"0001-01-01T00:00:00Z\"\n}");
  token.refresh_token = core::Secret("r<&>");
  EXPECT_NE(
      format_go_token(token, 0s).reveal().find("\"refresh_token\": \"r\\u003c\\u0026\\u003e\""),
      std::string::npos);
}

TEST(GoTokenTest, Rfc3339NanoAsGoPrintsIt) {
  EXPECT_EQ(format_rfc3339_nano(kTime, 0s), "2023-11-14T22:13:20.12345Z");
  EXPECT_EQ(format_rfc3339_nano(kTime, 3600s), "2023-11-14T23:13:20.12345+01:00");
  EXPECT_EQ(format_rfc3339_nano(kTime, -(5h + 30min)), "2023-11-14T16:43:20.12345-05:30");
  EXPECT_EQ(format_rfc3339_nano(core::Clock::WallTime(seconds(1'700'000'000)), 0s),
            "2023-11-14T22:13:20Z");
}

TEST(GoTokenTest, ParsesRfc3339) {
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20.12345Z"), kTime);
  EXPECT_EQ(parse_rfc3339("2023-11-14T23:13:20.12345+01:00"), kTime);
  EXPECT_EQ(parse_rfc3339("2023-11-14T16:43:20.12345-05:30"), kTime);
  EXPECT_EQ(parse_rfc3339("2023-11-14T22:13:20Z"), core::Clock::WallTime(seconds(1'700'000'000)));
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z",
                          "2023-02-30T22:13:20Z", "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z",
                          "2023-11-14T22:13:20Zjunk", "2023-11-14T22:13:20+0100"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(GoTokenTest, RoundTrip) {
  GoToken token;
  token.access_token = core::Secret("abc");
  token.token_type = "Bearer";
  token.refresh_token = core::Secret("r1");
  token.expiry = kTime;
  token.expires_in = 60;
  auto parsed = parse_go_token(format_go_token(token, 7200s).reveal());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->access_token.reveal(), "abc");
  EXPECT_EQ(parsed->refresh_token.reveal(), "r1");
  EXPECT_EQ(parsed->token_type, "Bearer");
  EXPECT_EQ(parsed->expiry, kTime);
  EXPECT_EQ(parsed->expires_in, 60);
}

TEST(GoTokenTest, ValidityHasTenSecondMargin) {
  GoToken token;
  token.access_token = core::Secret("abc");
  EXPECT_TRUE(go_token_valid(token, kTime));  // no expiry: valid
  token.expiry = kTime + 11s;
  EXPECT_TRUE(go_token_valid(token, kTime));
  token.expiry = kTime + 10s;
  EXPECT_TRUE(go_token_valid(token, kTime));
  token.expiry = kTime + 9s;
  EXPECT_FALSE(go_token_valid(token, kTime));
  GoToken empty;
  EXPECT_FALSE(go_token_valid(empty, kTime));
}

TEST(GoTokenTest, RefusesWhatIsNotATokenFile) {
  EXPECT_FALSE(parse_go_token("{").has_value());
  EXPECT_FALSE(parse_go_token("[]").has_value());
  EXPECT_FALSE(parse_go_token(R"({"access_token": 5})").has_value());
  auto bad_time = parse_go_token(R"({"access_token":"a","expiry":"tomorrow"})");
  ASSERT_FALSE(bad_time.has_value());
  EXPECT_EQ(bad_time.error().code(), "token_file.bad_expiry");
  EXPECT_TRUE(parse_go_token(R"({"access_token":"a","expiry":"0001-01-01T00:00:00Z"})")->expiry ==
              std::nullopt);
}

}  // namespace
}  // namespace mailoauth::compat
