// Tests for Error and the one table that maps classes to exit codes, Nagios
// states and SMTP replies. The table is a compatibility promise (sysexits for
// sendmail callers, Nagios guidelines), so each row is checked value by value.
#include "mailoauth/core/error.hpp"

#include <gtest/gtest.h>

namespace mailoauth::core {
namespace {

TEST(ErrorTest, DescribeWithoutRemedyIsTheMessage) {
  Error error(ErrorClass::Permanent, "smtp.auth", "535 5.7.3 Authentication unsuccessful");
  EXPECT_EQ(error.describe(), "535 5.7.3 Authentication unsuccessful");
}

TEST(ErrorTest, DescribeAppendsRemedy) {
  Error error(ErrorClass::Config, "x.y", "token URL missing", "set token_url");
  EXPECT_EQ(error.describe(), "token URL missing (remedy: set token_url)");
}

TEST(ErrorTest, ContextPrefixesTheMessage) {
  Error error(ErrorClass::Temporary, "file.fsync", "No space left on device");
  error.context("saving tokens.db").context("refreshing account work");
  EXPECT_EQ(error.message(), "refreshing account work: saving tokens.db: No space left on device");
  EXPECT_EQ(error.code(), "file.fsync");
}

TEST(ErrorTest, PolicyTemporary) {
  const auto& policy = policy_for(ErrorClass::Temporary);
  EXPECT_EQ(policy.exit_code, 75);
  EXPECT_EQ(policy.nagios_state, NagiosState::Critical);
  EXPECT_EQ(policy.smtp_reply_code, 451);
  EXPECT_EQ(policy.smtp_enhanced_status, "4.4.0");
  EXPECT_TRUE(policy.retry);
}

TEST(ErrorTest, PolicyPermanent) {
  const auto& policy = policy_for(ErrorClass::Permanent);
  EXPECT_EQ(policy.exit_code, 69);
  EXPECT_EQ(policy.nagios_state, NagiosState::Critical);
  EXPECT_EQ(policy.smtp_reply_code, 554);
  EXPECT_FALSE(policy.retry);
}

TEST(ErrorTest, PolicyConfigKeepsMailAndIsUnknownToNagios) {
  const auto& policy = policy_for(ErrorClass::Config);
  EXPECT_EQ(policy.exit_code, 78);
  EXPECT_EQ(policy.nagios_state, NagiosState::Unknown);
  EXPECT_EQ(policy.smtp_reply_code / 100, 4);
  EXPECT_TRUE(policy.retry);
}

TEST(ErrorTest, PolicyBug) {
  const auto& policy = policy_for(ErrorClass::Bug);
  EXPECT_EQ(policy.exit_code, 70);
  EXPECT_EQ(policy.nagios_state, NagiosState::Unknown);
  EXPECT_EQ(policy.smtp_reply_code / 100, 4);
}

TEST(ErrorTest, NamesAndNagiosWords) {
  EXPECT_EQ(to_string(ErrorClass::Temporary), "temporary");
  EXPECT_EQ(to_string(ErrorClass::Config), "config");
  EXPECT_EQ(to_string(NagiosState::Ok), "OK");
  EXPECT_EQ(to_string(NagiosState::Warning), "WARNING");
  EXPECT_EQ(to_string(NagiosState::Critical), "CRITICAL");
  EXPECT_EQ(to_string(NagiosState::Unknown), "UNKNOWN");
  EXPECT_EQ(static_cast<int>(NagiosState::Unknown), 3);
}

Result<int> parse_positive(int value) {
  if (value <= 0) return fail(ErrorClass::Config, "test.not_positive", "must be positive");
  return value;
}

TEST(ErrorTest, ResultCarriesValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.has_value());
  EXPECT_EQ(*good, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), "test.not_positive");
  EXPECT_EQ(bad.error().error_class(), ErrorClass::Config);
}

}  // namespace
}  // namespace mailoauth::core
