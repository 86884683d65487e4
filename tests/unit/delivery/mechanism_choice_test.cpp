// SASL mechanisms in preference order: asked for, the account's, bearer
// mechanisms for an account, PLAIN/LOGIN without one; unknown names refused.
#include "mailoauth/delivery/mechanism_choice.hpp"

#include <gtest/gtest.h>

namespace mailoauth::delivery {
namespace {

using sasl::Mechanism;

TEST(MechanismChoice, AskedForBeatsTheAccount) {
  oauth2::Account account;
  account.auth_mechanisms = {"OAUTHBEARER"};
  EXPECT_EQ(choose_mechanisms("xoauth2", &account).value(), std::vector{Mechanism::XOAuth2});
  EXPECT_EQ(choose_mechanisms("", &account).value(), std::vector{Mechanism::OAuthBearer});
}

TEST(MechanismChoice, DefaultsAreBearerForAnAccountAndPasswordsWithout) {
  oauth2::Account account;
  EXPECT_EQ(choose_mechanisms("", &account).value(),
            (std::vector{Mechanism::XOAuth2, Mechanism::OAuthBearer}));
  EXPECT_EQ(choose_mechanisms("", nullptr).value(),
            (std::vector{Mechanism::Plain, Mechanism::Login}));
  EXPECT_FALSE(needs_password(choose_mechanisms("", &account).value()));
  EXPECT_TRUE(needs_password(choose_mechanisms("", nullptr).value()));
}

TEST(MechanismChoice, UnknownNameIsAConfigError) {
  auto chosen = choose_mechanisms("cram-md5", nullptr);
  ASSERT_FALSE(chosen);
  EXPECT_EQ(chosen.error().code(), "delivery.bad_mechanism");
  EXPECT_EQ(chosen.error().error_class(), core::ErrorClass::Config);
}

}  // namespace
}  // namespace mailoauth::delivery
