// The doctor's IMAP leg, steps 4, 5, 7 and 8 over imap::SyncClient (the one
// IMAP client), observed through its wire trace. The mailbox step is
// EXAMINE INBOX (SELECT, read-only): at Exchange Online an app whose service
// principal lacks mailbox permission authenticates and then hears "User is
// authenticated but not connected" (imap.authenticated_not_connected),
// which is a mailbox fault, not a login fault, and is named so. A stored
// token the server refuses is renewed once (imap::refused_credentials).
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/delivery/mechanism_choice.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/sync_client.hpp"

#include "../common/imap_login.hpp"
#include "walk.hpp"

namespace mailoauth::doctor_app {

using doctor::StepName;
using doctor::Verdict;

void walk_imap(Walk& walk) {
  auto resolved = reach_mail_server(walk, delivery::MailProtocol::Imap);
  if (!resolved) return;

  auto wire = std::make_shared<Wire>();
  wire->verbose = walk.options.verbose;
  imap::ClientSettings settings = app::imap_client_settings(*resolved);
  settings.connect_timeout = settings.command_timeout = walk.timeout();
  settings.trace = [wire](imap::WireDirection direction, std::string_view line) {
    wire->record("imap", direction == imap::WireDirection::Sent, line);
  };
  const imap::TlsMode mode = settings.tls_mode;
  imap::SyncClient client(std::move(settings));
  if (auto connected = client.connect(); !connected) {
    classify_connect_failure(walk, connected.error(), *wire, mode == imap::TlsMode::Implicit);
    return;
  }
  doctor::Step& tls = walk.step(StepName::Tls);
  tls.verdict = Verdict::Passed;
  if (auto facts = client.tls()) {
    if (mode == imap::TlsMode::StartTls) {
      tls.found.push_back("STARTTLS offered and used (capabilities read again over TLS)");
    }
    describe_tls(tls, facts->protocol, facts->cipher, facts->subject, facts->issuer,
                 facts->not_after, walk.endpoint.host);
  }

  doctor::Step& greeting = walk.step(StepName::Greeting);
  greeting.verdict = Verdict::Passed;
  greeting.found.push_back("greeting: " + client.greeting());
  greeting.found.push_back(
      fmt::format("CAPABILITY: {}", fmt::join(client.capabilities().sorted(), " ")));
  const std::vector<std::string> offered = client.capabilities().auth_mechanisms();
  // The account's mechanisms (default XOAUTH2, OAUTHBEARER): the first offered.
  auto wanted = delivery::choose_mechanisms("", walk.account);
  std::optional<sasl::Mechanism> mechanism;
  for (const sasl::Mechanism candidate : wanted ? *wanted : std::vector<sasl::Mechanism>{}) {
    if (client.capabilities().offers_mechanism(sasl::wire_name(candidate))) {
      mechanism = candidate;
      break;
    }
  }
  if (!mechanism) {
    doctor::fail_step(greeting, doctor::no_bearer_mechanism(walk.endpoint, offered));
    return;
  }

  auto token = obtain_token(walk, doctor::MailApi::Imap);
  if (!token) return;
  doctor::Step& auth = walk.step(StepName::Authentication);
  doctor::Step& mailbox = walk.step(StepName::Mailbox);
  auto accepted = client.authenticate(*mechanism, credentials_for(walk, std::move(*token)));
  if (!accepted && client.connected() && imap::refused_credentials(accepted.error())) {
    const core::Error first = accepted.error();
    auto renewed = renew_token(walk);
    if (!renewed) {
      auth.found.push_back("renewing the token failed too: " + renewed.error().describe());
      doctor::fail_step(auth, first);
      return;
    }
    accepted = client.authenticate(*mechanism, credentials_for(walk, std::move(*renewed)));
    if (accepted) note_renewed_token(walk, first);
  }
  if (!accepted) {
    if (accepted.error().code() == "imap.authenticated_not_connected") {
      auth.verdict = Verdict::Passed;
      auth.found.push_back("the token was accepted");
      mailbox.found.emplace_back("authenticated but not connected: the mailbox cannot be opened");
      doctor::fail_step(mailbox, accepted.error());
      return;
    }
    doctor::fail_step(auth, accepted.error());
    return;
  }
  if (auth.verdict == Verdict::NotReached) auth.verdict = Verdict::Passed;
  auth.found.push_back(fmt::format("AUTHENTICATE {} as {}: {}", sasl::wire_name(*mechanism),
                                   walk.account->user(),
                                   wire->received.empty() ? "" : wire->received.back()));

  auto inbox = client.examine("INBOX");
  if (!inbox) {
    doctor::fail_step(mailbox, inbox.error());
    return;
  }
  mailbox.verdict = Verdict::Passed;
  mailbox.found.push_back(fmt::format("INBOX: {} messages, UIDVALIDITY {}", inbox->exists,
                                      inbox->uidvalidity.value_or(0)));
  (void)client.logout();
}

}  // namespace mailoauth::doctor_app
