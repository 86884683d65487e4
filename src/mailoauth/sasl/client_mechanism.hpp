// The client side of a SASL exchange as a small state machine with no I/O: the
// SMTP and IMAP clients ask it for the initial response, hand it each decoded
// server challenge, and send back what it answers (they do the base64 and the
// line framing). It knows each mechanism's dialogue:
//   XOAUTH2      initial response; a challenge means failure: remember the JSON,
//                answer empty, the server then sends the final failure.
//   OAUTHBEARER  the same, answering 0x01.
//   PLAIN        initial response, or the same after an empty challenge when the
//                protocol could not carry it inline.
//   LOGIN        no initial response; user name, then password (challenge text
//                ignored, as servers word "Username:" differently).
// Anything beyond the dialogue is a Permanent error, so a confused server cannot
// make a client loop or send a credential twice.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/sasl/bearer_failure.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::sasl {

struct ClientCredentials {
  std::string user;     // mailbox (XOAUTH2 user=, OAUTHBEARER a=, PLAIN/LOGIN authcid)
  core::Secret secret;  // access token (bearer mechanisms) or password
  std::string authzid;  // PLAIN only, usually empty
  std::string host;     // OAUTHBEARER host=, optional
  std::optional<std::uint16_t> port;  // OAUTHBEARER port=, optional
};

class ClientMechanism {
 public:
  virtual ~ClientMechanism() = default;
  virtual Mechanism mechanism() const = 0;

  // The raw (not base64) initial response, or nullopt when the mechanism starts
  // with a server challenge (LOGIN). Valid once, before any respond().
  virtual core::Result<std::optional<core::Secret>> initial_response() = 0;

  // The raw answer to one decoded server challenge.
  virtual core::Result<core::Secret> respond(std::string_view challenge) = 0;

  // Set when a bearer mechanism received the server's failure challenge; the
  // exchange will fail, and this says why in the server's own terms.
  const std::optional<BearerFailure>& failure() const { return failure_; }

 protected:
  std::optional<BearerFailure> failure_;
};

core::Result<std::unique_ptr<ClientMechanism>> make_client_mechanism(Mechanism mechanism,
                                                                     ClientCredentials credentials);

}  // namespace mailoauth::sasl
