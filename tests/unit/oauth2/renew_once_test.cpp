// The "renew once after a refusal" rule, with a scripted getter and attempt:
// success costs one token and no renewal; a refusal renews once and tries
// once more, whatever the second answer; an error that is not a refusal is
// returned without renewing; a failed renewal returns the renewal's error
// with the refusal quoted; a failed first token is returned as is. The
// protocols' own use is tested against the real servers (SMTP, IMAP, Graph).
#include "mailoauth/oauth2/renew_once.hpp"

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mailoauth::oauth2 {
namespace {

using core::ErrorClass;

// Hands out "token-1", then "token-2", ...; remembers each `renew` flag.
struct ScriptedTokens {
  std::vector<bool> asked;
  bool fail_renewal = false;
  bool fail_first = false;
  TokenGetter getter() {
    return [this](bool renew) -> core::Result<core::Secret> {
      asked.push_back(renew);
      if (renew && fail_renewal) {
        return core::fail(ErrorClass::Config, "token.login_required", "no usable refresh token");
      }
      if (!renew && fail_first) {
        return core::fail(ErrorClass::Temporary, "http.timeout", "identity server silent");
      }
      return core::Secret("token-" + std::to_string(asked.size()));
    };
  }
};

core::Error refusal() {
  return core::Error(ErrorClass::Permanent, "smtp.auth_refused", "535 5.7.8 Authentication failed");
}

bool is_refusal(const core::Error& error) {
  return error.code() == "smtp.auth_refused";
}

// An attempt the server always refuses, counting its calls.
std::function<core::Result<int>(core::Secret)> always_refused(int& attempts) {
  return [&attempts](core::Secret) -> core::Result<int> {
    ++attempts;
    return core::fail(refusal());
  };
}

TEST(RenewOnceTest, AcceptedTokenCostsOneTokenAndNoRenewal) {
  ScriptedTokens tokens;
  std::vector<std::string> tried;
  bool renewed = true;
  auto result = renew_once<int>(
      tokens.getter(),
      [&](core::Secret token) -> core::Result<int> {
        tried.emplace_back(token.reveal());
        return 42;
      },
      is_refusal, &renewed);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(tokens.asked, std::vector<bool>{false});
  EXPECT_EQ(tried, std::vector<std::string>{"token-1"});
  EXPECT_FALSE(renewed);
}

TEST(RenewOnceTest, RefusedTokenIsRenewedAndTriedOnceMore) {
  ScriptedTokens tokens;
  std::vector<std::string> tried;
  bool renewed = false;
  auto result = renew_once<int>(
      tokens.getter(),
      [&](core::Secret token) -> core::Result<int> {
        tried.emplace_back(token.reveal());
        if (tried.size() == 1) return core::fail(refusal());
        return 7;
      },
      is_refusal, &renewed);
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(*result, 7);
  EXPECT_EQ(tokens.asked, (std::vector<bool>{false, true}));
  EXPECT_EQ(tried, (std::vector<std::string>{"token-1", "token-2"}));
  EXPECT_TRUE(renewed);
}

TEST(RenewOnceTest, SecondRefusalIsFinal) {
  ScriptedTokens tokens;
  int attempts = 0;
  auto result = renew_once<int>(tokens.getter(), always_refused(attempts), is_refusal);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "smtp.auth_refused");
  EXPECT_EQ(attempts, 2) << "renewed once, never twice";
  EXPECT_EQ(tokens.asked, (std::vector<bool>{false, true}));
}

TEST(RenewOnceTest, OtherErrorsAreNotRenewed) {
  ScriptedTokens tokens;
  int attempts = 0;
  auto result = renew_once<int>(
      tokens.getter(),
      [&](core::Secret) -> core::Result<int> {
        ++attempts;
        return core::fail(ErrorClass::Temporary, "net.timeout", "the server went silent");
      },
      is_refusal);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "net.timeout");
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(tokens.asked, std::vector<bool>{false});
}

TEST(RenewOnceTest, FailedRenewalSaysWhatToFixAndQuotesTheRefusal) {
  ScriptedTokens tokens;
  tokens.fail_renewal = true;
  int attempts = 0;
  auto result = renew_once<int>(tokens.getter(), always_refused(attempts), is_refusal);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(result.error().code(), "token.login_required");
  EXPECT_EQ(result.error().error_class(), ErrorClass::Config);
  EXPECT_NE(result.error().message().find("535 5.7.8"), std::string::npos)
      << result.error().message();
}

TEST(RenewOnceTest, FailedFirstTokenIsReturnedWithoutAnAttempt) {
  ScriptedTokens tokens;
  tokens.fail_first = true;
  int attempts = 0;
  auto result = renew_once<int>(
      tokens.getter(),
      [&](core::Secret) -> core::Result<int> {
        ++attempts;
        return 1;
      },
      is_refusal);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "http.timeout");
  EXPECT_EQ(attempts, 0);
}

}  // namespace
}  // namespace mailoauth::oauth2
