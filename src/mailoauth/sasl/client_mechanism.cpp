// The four client mechanisms. Each validates its credentials when created, so a
// bad user name or a token with a trailing newline is refused before a byte is
// sent, and counts its steps so a server cannot drive it past its dialogue.
#include "mailoauth/sasl/client_mechanism.hpp"

#include <fmt/format.h>

#include "mailoauth/sasl/oauthbearer.hpp"
#include "mailoauth/sasl/plain.hpp"
#include "mailoauth/sasl/xoauth2.hpp"

namespace mailoauth::sasl {

namespace {

core::Error unexpected_challenge(Mechanism mechanism) {
  return core::Error(core::ErrorClass::Permanent, "sasl.unexpected_challenge",
                     fmt::format("the server sent a {} challenge after the exchange should have "
                                 "ended; giving up instead of answering again",
                                 wire_name(mechanism)));
}

// XOAUTH2 and OAUTHBEARER: one response, then at most one failure challenge.
class BearerClient final : public ClientMechanism {
 public:
  BearerClient(Mechanism mechanism, core::Secret response)
      : mechanism_(mechanism), response_(std::move(response)) {}

  Mechanism mechanism() const override { return mechanism_; }

  core::Result<std::optional<core::Secret>> initial_response() override {
    if (sent_) return core::fail(unexpected_challenge(mechanism_));
    sent_ = true;
    return std::optional<core::Secret>(response_.clone());
  }

  core::Result<core::Secret> respond(std::string_view challenge) override {
    if (!sent_ && challenge.empty()) {  // no initial-response support: empty challenge first
      sent_ = true;
      return response_.clone();
    }
    if (failure_ || !sent_) return core::fail(unexpected_challenge(mechanism_));
    auto failure = parse_bearer_failure(challenge);
    // Even a garbled challenge must be answered, or the server waits forever.
    failure_ = failure ? std::move(*failure) : BearerFailure{"unparseable challenge", "", "", ""};
    return core::Secret(mechanism_ == Mechanism::XOAuth2 ? kXOAuth2FailureAnswer
                                                         : kOAuthBearerFailureAnswer);
  }

 private:
  Mechanism mechanism_;
  core::Secret response_;
  bool sent_ = false;
};

class PlainClient final : public ClientMechanism {
 public:
  explicit PlainClient(core::Secret response) : response_(std::move(response)) {}
  Mechanism mechanism() const override { return Mechanism::Plain; }

  core::Result<std::optional<core::Secret>> initial_response() override {
    if (sent_) return core::fail(unexpected_challenge(Mechanism::Plain));
    sent_ = true;
    return std::optional<core::Secret>(response_.clone());
  }

  core::Result<core::Secret> respond(std::string_view challenge) override {
    if (sent_ || !challenge.empty()) return core::fail(unexpected_challenge(Mechanism::Plain));
    sent_ = true;
    return response_.clone();
  }

 private:
  core::Secret response_;
  bool sent_ = false;
};

class LoginClient final : public ClientMechanism {
 public:
  LoginClient(std::string user, core::Secret password)
      : user_(std::move(user)), password_(std::move(password)) {}
  Mechanism mechanism() const override { return Mechanism::Login; }

  core::Result<std::optional<core::Secret>> initial_response() override {
    return std::optional<core::Secret>();
  }

  core::Result<core::Secret> respond(std::string_view /*challenge*/) override {
    switch (step_++) {
      case 0:
        return core::Secret(user_);
      case 1:
        return password_.clone();
      default:
        return core::fail(unexpected_challenge(Mechanism::Login));
    }
  }

 private:
  std::string user_;
  core::Secret password_;
  int step_ = 0;
};

}  // namespace

core::Result<std::unique_ptr<ClientMechanism>> make_client_mechanism(
    Mechanism mechanism, ClientCredentials credentials) {
  switch (mechanism) {
    case Mechanism::XOAuth2: {
      auto response = xoauth2_initial_response(credentials.user, credentials.secret);
      if (!response) return core::fail(response.error());
      return std::make_unique<BearerClient>(mechanism, std::move(*response));
    }
    case Mechanism::OAuthBearer: {
      auto response =
          oauthbearer_initial_response(credentials.user, credentials.secret,
                                       OAuthBearerTarget{credentials.host, credentials.port});
      if (!response) return core::fail(response.error());
      return std::make_unique<BearerClient>(mechanism, std::move(*response));
    }
    case Mechanism::Plain: {
      auto response =
          plain_initial_response(credentials.authzid, credentials.user, credentials.secret);
      if (!response) return core::fail(response.error());
      return std::make_unique<PlainClient>(std::move(*response));
    }
    case Mechanism::Login: {
      if (auto checked = check_field("user name", credentials.user); !checked) {
        return core::fail(checked.error());
      }
      if (auto checked = check_field("password", credentials.secret.reveal()); !checked) {
        return core::fail(checked.error());
      }
      return std::make_unique<LoginClient>(std::move(credentials.user),
                                           std::move(credentials.secret));
    }
  }
  return core::fail(core::ErrorClass::Bug, "sasl.unknown_mechanism", "unknown SASL mechanism");
}

}  // namespace mailoauth::sasl
