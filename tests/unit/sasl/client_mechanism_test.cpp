// The client state machines: each mechanism's dialogue, the failure-challenge
// answer that keeps a client from hanging, and refusal to go past the dialogue.
#include "mailoauth/sasl/client_mechanism.hpp"

#include <gtest/gtest.h>

namespace mailoauth::sasl {
namespace {

using core::Secret;
using namespace std::string_literals;

std::unique_ptr<ClientMechanism> make(Mechanism mechanism, std::string user, std::string secret) {
  ClientCredentials credentials;
  credentials.user = std::move(user);
  credentials.secret = Secret(secret);
  auto client = make_client_mechanism(mechanism, std::move(credentials));
  if (!client) throw std::runtime_error(client.error().message());
  return std::move(*client);
}

TEST(ClientMechanismTest, XOAuth2SuccessPath) {
  auto client = make(Mechanism::XOAuth2, "a@b", "tok");
  auto initial = client->initial_response();
  ASSERT_TRUE(initial.has_value() && initial->has_value());
  EXPECT_EQ((*initial)->reveal(),
            "user=a@b\x01"
            "auth=Bearer tok\x01\x01");
  EXPECT_FALSE(client->failure().has_value());
}

TEST(ClientMechanismTest, XOAuth2AnswersFailureChallengeWithEmptyResponse) {
  auto client = make(Mechanism::XOAuth2, "a@b", "tok");
  ASSERT_TRUE(client->initial_response().has_value());
  auto answer =
      client->respond(R"({"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"})");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->reveal(), "");
  ASSERT_TRUE(client->failure().has_value());
  EXPECT_EQ(client->failure()->status, "400");
  // A second challenge is refused instead of answered.
  auto again = client->respond("{}");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), "sasl.unexpected_challenge");
}

TEST(ClientMechanismTest, OAuthBearerAnswersFailureWithOne) {
  ClientCredentials credentials;
  credentials.user = "user@example.com";
  credentials.secret = Secret("tok");
  credentials.host = "imap.example.com";
  credentials.port = 993;
  auto client = make_client_mechanism(Mechanism::OAuthBearer, std::move(credentials));
  ASSERT_TRUE(client.has_value());
  auto initial = (*client)->initial_response();
  ASSERT_TRUE(initial.has_value() && initial->has_value());
  EXPECT_EQ((*initial)->reveal(),
            "n,a=user@example.com,\x01host=imap.example.com\x01port=993\x01"
            "auth=Bearer tok\x01\x01");
  auto answer = (*client)->respond(R"({"status":"invalid_token"})");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->reveal(), "\x01");
  EXPECT_EQ((*client)->failure()->status, "invalid_token");
}

TEST(ClientMechanismTest, GarbledFailureChallengeIsStillAnswered) {
  auto client = make(Mechanism::OAuthBearer, "u", "tok");
  ASSERT_TRUE(client->initial_response().has_value());
  auto answer = client->respond("not json");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->reveal(), "\x01");
  EXPECT_EQ(client->failure()->status, "unparseable challenge");
}

TEST(ClientMechanismTest, BearerWithoutInitialResponseAnswersEmptyChallenge) {
  auto client = make(Mechanism::XOAuth2, "a@b", "tok");
  auto first = client->respond("");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->reveal(),
            "user=a@b\x01"
            "auth=Bearer tok\x01\x01");
  auto failure = client->respond(R"({"status":"401"})");
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->reveal(), "");
}

TEST(ClientMechanismTest, PlainInlineOrAfterEmptyChallenge) {
  auto inline_client = make(Mechanism::Plain, "alice", "pw");
  auto initial = inline_client->initial_response();
  ASSERT_TRUE(initial.has_value() && initial->has_value());
  EXPECT_EQ((*initial)->reveal(), "\0alice\0pw"s);
  EXPECT_FALSE(inline_client->respond("").has_value());

  auto two_step = make(Mechanism::Plain, "alice", "pw");
  auto answer = two_step->respond("");
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->reveal(), "\0alice\0pw"s);
}

TEST(ClientMechanismTest, LoginUserThenPasswordThenStops) {
  auto client = make(Mechanism::Login, "alice", "pw");
  auto initial = client->initial_response();
  ASSERT_TRUE(initial.has_value());
  EXPECT_FALSE(initial->has_value());
  EXPECT_EQ(client->respond("Username:")->reveal(), "alice");
  EXPECT_EQ(client->respond("Password:")->reveal(), "pw");
  EXPECT_FALSE(client->respond("Password:").has_value());
}

TEST(ClientMechanismTest, BadCredentialsAreRefusedAtCreation) {
  ClientCredentials credentials;
  credentials.user = "alice";
  credentials.secret = Secret("token\n");
  auto client = make_client_mechanism(Mechanism::XOAuth2, std::move(credentials));
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code(), "sasl.bad_field");
  ClientCredentials login;
  login.user = "al\rice";
  login.secret = Secret("pw");
  EXPECT_FALSE(make_client_mechanism(Mechanism::Login, std::move(login)).has_value());
}

}  // namespace
}  // namespace mailoauth::sasl
