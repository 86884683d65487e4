// Submitting messages synchronously: one connection (Session) opened,
// authenticated once, the messages sent as one batch over it (pipelined
// across messages when the server allows it), QUIT — for
// `mailoauth send`, sendmail mode, the tests and the throughput benchmark,
// which are not coroutines. A bearer token the server refuses is renewed once
// (the engine is asked for a new one) and AUTH tried again, as a token
// revoked or rotated early must not fail a cron job that a second try would
// have saved (oauth2::renew_once, the rule IMAP and Graph share). The token
// is asked for through the synchronous path, between the session's steps and
// outside any coroutine, so `secret` may block (the token engine does);
// coroutine code (the relay) uses the TokenSource and renew_once_async
// instead. Nothing here keeps a secret beyond the call.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/sasl/mechanism.hpp"
#include "mailoauth/smtp/client.hpp"
#include "mailoauth/smtp/ehlo_capabilities.hpp"
#include "mailoauth/smtp/send_report.hpp"

namespace mailoauth::smtp {

struct SubmitAuth {
  std::string user;                         // SASL identity: the mailbox
  std::vector<sasl::Mechanism> mechanisms;  // in preference order
  // The token or password; `renew` asks for a fresh token after a refusal
  // (a password source answers the same, and no second try is made).
  std::function<core::Result<core::Secret>(bool renew)> secret;
  std::string oauthbearer_host;  // OAUTHBEARER host=, optional
};

struct Outgoing {
  Envelope envelope;
  std::string message;                  // not dot-stuffed
  std::optional<MessageSource> source;  // when set, sent instead of `message` (a file, streamed)
};

struct SubmitResult {
  std::string peer;
  bool encrypted = false;
  std::optional<net::PeerCertificate> certificate;
  EhloCapabilities capabilities;
  std::optional<sasl::Mechanism> mechanism;  // nullopt: no AUTH
  bool token_renewed = false;
  // One per message, in order: a report (the server's answers), or the error
  // that kept the message from being sent (too large, connection lost).
  std::vector<core::Result<SendReport>> reports;
};

// Errors: connecting, TLS, the greeting/EHLO, AUTH. Per-message problems are
// in `reports`; after a connection failure the remaining messages carry it.
core::Result<SubmitResult> submit(ClientSettings settings, std::optional<SubmitAuth> auth,
                                  std::vector<Outgoing> messages);

}  // namespace mailoauth::smtp
