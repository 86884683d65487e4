// SMTP AUTH framing: mechanism choice against what the server offers, the
// 512-octet rule for the initial response, "=" for an empty one.
#include "mailoauth/smtp/auth_command.hpp"

#include <gtest/gtest.h>

#include "mailoauth/core/base64.hpp"

namespace mailoauth::smtp {
namespace {

using sasl::Mechanism;

TEST(AuthCommandTest, ChoosesTheFirstAllowedMechanismTheServerOffers) {
  const std::vector<std::string> offered = {"PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"};
  const Mechanism bearer_first[] = {Mechanism::OAuthBearer, Mechanism::XOAuth2};
  EXPECT_EQ(choose_mechanism(offered, bearer_first, "s").value(), Mechanism::OAuthBearer);
  const std::vector<std::string> lower = {"plain", "xoauth2"};
  EXPECT_EQ(choose_mechanism(lower, kDefaultMechanismPreference, "s").value(), Mechanism::XOAuth2);
}

TEST(AuthCommandTest, NamesBothSidesWhenNothingMatches) {
  const std::vector<std::string> offered = {"PLAIN", "LOGIN"};
  auto chosen = choose_mechanism(offered, kDefaultMechanismPreference, "smtp.example:587");
  ASSERT_FALSE(chosen.has_value());
  EXPECT_EQ(chosen.error().code(), "smtp.auth_mechanism_unavailable");
  EXPECT_EQ(chosen.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(chosen.error().message().find("offers AUTH PLAIN LOGIN"), std::string::npos)
      << chosen.error().message();
  EXPECT_NE(chosen.error().message().find("XOAUTH2 or OAUTHBEARER"), std::string::npos)
      << chosen.error().message();
  auto none = choose_mechanism({}, kDefaultMechanismPreference, "s");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), "smtp.auth_not_offered");
}

TEST(AuthCommandTest, ShortInitialResponseGoesInline) {
  AuthCommand command = auth_command(Mechanism::Plain, core::Secret(std::string("\0u\0p", 4)));
  EXPECT_TRUE(command.inline_response);
  EXPECT_FALSE(command.deferred.has_value());
  EXPECT_EQ(command.line.reveal(), "AUTH PLAIN AHUAcA==\r\n");
}

TEST(AuthCommandTest, TheLineStaysWithin512Octets) {
  // "AUTH XOAUTH2 " is 13 octets, CRLF 2: 497 octets of base64 fit; 372 raw
  // bytes encode to 496, 375 to 500.
  AuthCommand fits = auth_command(Mechanism::XOAuth2, core::Secret(std::string(372, 'a')));
  EXPECT_TRUE(fits.inline_response);
  EXPECT_LE(fits.line.size(), kMaxCommandLine);
  AuthCommand too_long = auth_command(Mechanism::XOAuth2, core::Secret(std::string(375, 'a')));
  EXPECT_FALSE(too_long.inline_response);
  EXPECT_EQ(too_long.line.reveal(), "AUTH XOAUTH2\r\n");
  ASSERT_TRUE(too_long.deferred.has_value());
  EXPECT_EQ(too_long.deferred->reveal(), core::base64::encode(std::string(375, 'a')) + "\r\n");
}

TEST(AuthCommandTest, MicrosoftSizedTokenAlwaysTakesTwoSteps) {
  AuthCommand command = auth_command(Mechanism::XOAuth2, core::Secret(std::string(1600, 't')));
  EXPECT_FALSE(command.inline_response);
  ASSERT_TRUE(command.deferred.has_value());
  EXPECT_GT(command.deferred->size(), kMaxCommandLine);
}

TEST(AuthCommandTest, EmptyInitialResponseIsAnEqualsSign) {
  AuthCommand command = auth_command(Mechanism::Plain, core::Secret(""));
  EXPECT_EQ(command.line.reveal(), "AUTH PLAIN =\r\n");
}

TEST(AuthCommandTest, LoginHasNoInitialResponse) {
  AuthCommand command = auth_command(Mechanism::Login, std::nullopt);
  EXPECT_EQ(command.line.reveal(), "AUTH LOGIN\r\n");
  EXPECT_FALSE(command.deferred.has_value());
}

}  // namespace
}  // namespace mailoauth::smtp
