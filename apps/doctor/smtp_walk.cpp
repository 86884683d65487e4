// The doctor's SMTP leg, steps 4, 5, 7 and 8 (and --send-test) over the one
// SMTP client (smtp::Session), observed through its wire trace: what the
// server said tells a silent server from a refusing one and gives the facts
// (the greeting, EHLO before STARTTLS). Each call has the step's deadline
// (Timeouts). The mailbox step is MAIL FROM the mailbox and one RCPT, then
// RSET (Session::probe_envelope): nothing is sent. A stored token the server
// refuses is renewed once, as mailoauth send does, and the step says so.
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/delivery/mechanism_choice.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/smtp/client.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"

#include "run_coroutine.hpp"
#include "walk.hpp"

namespace mailoauth::doctor_app {

namespace {

using doctor::StepName;
using doctor::Verdict;

std::string sender_of(const Walk& walk) {
  return walk.account->user();
}

}  // namespace

void walk_smtp(Walk& walk) {
  auto resolved = reach_mail_server(walk, delivery::MailProtocol::Smtp);
  if (!resolved) return;

  auto wire = std::make_shared<Wire>();
  wire->verbose = walk.options.verbose;
  smtp::ClientSettings settings;
  settings.host = resolved->host;
  settings.port = resolved->port;
  settings.security = delivery::smtp_security(resolved->tls);
  settings.tls.ca_file = resolved->ca_file;
  settings.timeouts.connect = settings.timeouts.greeting = settings.timeouts.command =
      walk.timeout();
  settings.timeouts.data_minimum = settings.timeouts.final_reply = walk.timeout() * 6;
  settings.trace = [wire](smtp::TraceDirection direction, std::string_view line) {
    wire->record("smtp", direction == smtp::TraceDirection::Sent, line);
  };
  const smtp::Security security = settings.security;
  boost::asio::io_context io;
  auto opened = run_coroutine(io, smtp::Session::open(std::move(settings)));
  if (!opened) {
    classify_connect_failure(walk, opened.error(), *wire, security == smtp::Security::Implicit);
    return;
  }
  smtp::Session& session = **opened;

  doctor::Step& tls = walk.step(StepName::Tls);
  tls.verdict = Verdict::Passed;
  if (security == smtp::Security::None) {
    tls.verdict = Verdict::Warning;
    tls.cause = "the account's smtp_tls is none: the token crosses the network in clear text";
    tls.remedy = "set smtp_tls = \"starttls\" (587) or \"implicit\" (465) in the account";
  } else if (auto certificate = session.peer_certificate()) {
    if (security == smtp::Security::StartTls) {
      tls.found.push_back("STARTTLS offered and used (EHLO again over TLS)");
    }
    describe_tls(tls, certificate->protocol, certificate->cipher, certificate->subject,
                 certificate->issuer, certificate->not_after, walk.endpoint.host);
  }

  doctor::Step& greeting = walk.step(StepName::Greeting);
  greeting.verdict = Verdict::Passed;
  greeting.found.push_back(
      fmt::format("greeting: {} {}", session.greeting().code,
                  session.greeting().lines.empty() ? "" : session.greeting().lines.front()));
  std::vector<std::string> keywords;
  for (const auto& extension : session.capabilities().extensions) {
    keywords.push_back(extension.keyword);
  }
  greeting.found.push_back(fmt::format("EHLO: {}", fmt::join(keywords, " ")));
  const std::vector<std::string> offered = session.capabilities().auth_mechanisms();
  greeting.found.push_back(
      fmt::format("AUTH mechanisms: {}",
                  offered.empty() ? "none" : fmt::format("{}", fmt::join(offered, " "))));
  auto mechanisms = delivery::choose_mechanisms("", walk.account);
  const bool bearer_offered =
      std::find(offered.begin(), offered.end(), "XOAUTH2") != offered.end() ||
      std::find(offered.begin(), offered.end(), "OAUTHBEARER") != offered.end();
  if (!mechanisms || !bearer_offered) {
    doctor::fail_step(greeting, mechanisms ? doctor::no_bearer_mechanism(walk.endpoint, offered)
                                           : mechanisms.error());
    run_coroutine(io, session.quit());
    return;
  }

  auto token = obtain_token(walk, doctor::MailApi::Smtp);
  if (!token) {
    run_coroutine(io, session.quit());
    return;
  }
  doctor::Step& auth = walk.step(StepName::Authentication);
  auto accepted = run_coroutine(
      io, session.authenticate(credentials_for(walk, std::move(*token)), *mechanisms));
  if (!accepted && !session.broken() &&
      accepted.error().error_class() == core::ErrorClass::Permanent) {
    const core::Error first = accepted.error();
    auto renewed = renew_token(walk);
    if (!renewed) {
      auth.found.push_back("renewing the token failed too: " + renewed.error().describe());
      doctor::fail_step(auth, first);
      run_coroutine(io, session.quit());
      return;
    }
    accepted = run_coroutine(
        io, session.authenticate(credentials_for(walk, std::move(*renewed)), *mechanisms));
    if (accepted) note_renewed_token(walk, first);
  }
  if (!accepted) {
    doctor::fail_step(auth, accepted.error());
    run_coroutine(io, session.quit());
    return;
  }
  if (auth.verdict == Verdict::NotReached) auth.verdict = Verdict::Passed;
  auth.found.push_back(fmt::format("AUTH {} as {}: {}", sasl::wire_name(*accepted),
                                   walk.account->user(), wire->last_received()));

  doctor::Step& mailbox = walk.step(StepName::Mailbox);
  const std::string recipient = !walk.options.recipient.empty()   ? walk.options.recipient
                                : !walk.options.send_test.empty() ? walk.options.send_test
                                                                  : walk.account->user();
  auto probed =
      run_coroutine(io, session.probe_envelope({sender_of(walk), {recipient}, false, false}));
  if (!probed) {
    doctor::fail_step(mailbox, probed.error());
    return;
  }
  const smtp::Reply& mail = probed->mail_reply;
  mailbox.found.push_back(fmt::format("MAIL FROM:<{}>: {} {}", sender_of(walk), mail.code,
                                      mail.lines.empty() ? "" : mail.lines.front()));
  if (mail.code / 100 != 2) {
    doctor::fail_step(mailbox, smtp::explain_reply(mail, "MAIL FROM"));
    run_coroutine(io, session.quit());
    return;
  }
  for (const auto& result : probed->recipients) {
    mailbox.found.push_back(
        fmt::format("RCPT TO:<{}>: {} {}", result.address, result.reply.code,
                    result.reply.lines.empty() ? "" : result.reply.lines.front()));
    if (!result.accepted()) {
      doctor::fail_step(
          mailbox, smtp::explain_reply(result.reply, fmt::format("RCPT TO <{}>", result.address)));
      run_coroutine(io, session.quit());
      return;
    }
  }
  mailbox.found.emplace_back("RSET: nothing was sent");
  mailbox.verdict = Verdict::Passed;

  if (!walk.options.send_test.empty()) {
    doctor::Step& send = walk.step(StepName::SendTest);
    send.checked = "one test message is sent to " + walk.options.send_test;
    auto sent =
        run_coroutine(io, session.send({sender_of(walk), {walk.options.send_test}, false, false},
                                       test_message(sender_of(walk), walk.options.send_test)));
    core::Result<void> outcome = sent ? sent->outcome() : core::fail(sent.error());
    if (!outcome) {
      doctor::fail_step(send, outcome.error());
    } else {
      send.verdict = Verdict::Passed;
      send.found.push_back(
          fmt::format("{} {}", sent->data_reply->code, sent->data_reply->lines.front()));
    }
  }
  run_coroutine(io, session.quit());
}

}  // namespace mailoauth::doctor_app
