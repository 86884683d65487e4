// What the doctor's steps share: finding a step in the report, the TLS
// step's facts (with a warning 30 days before the server's certificate
// expires), and the one test message of --send-test.
#include "walk.hpp"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "mailoauth/mime/message_fields.hpp"

namespace mailoauth::doctor_app {

doctor::Step& Walk::step(doctor::StepName name) {
  for (doctor::Step& step : report.steps) {
    if (step.name == name) return step;
  }
  throw std::logic_error("the doctor's report lacks a step");  // planned_steps has them all
}

void Wire::record(std::string_view protocol, bool sent, std::string_view line) {
  if (verbose) fmt::print(stderr, "{} {} {}\n", protocol, sent ? "C:" : "S:", line);
  if (!sent) {
    if (received.size() < 200) received.emplace_back(line);
  } else if (line.ends_with("STARTTLS")) {
    starttls_sent = true;
  }
}

std::string Wire::last_received() const {
  return received.empty() ? std::string() : received.back();
}

std::optional<delivery::ServerSettings> reach_mail_server(Walk& walk,
                                                          delivery::MailProtocol protocol) {
  delivery::ServerOverrides overrides{
      walk.options.server, walk.options.port, {}, walk.options.ca_file};
  if (!walk.options.tls.empty()) {
    auto tls = delivery::parse_tls_mode(walk.options.tls);
    if (tls) overrides.tls = *tls;
  }
  auto resolved = delivery::server_settings(protocol, walk.account, overrides);
  if (!resolved) {
    doctor::fail_step(walk.step(doctor::StepName::Configuration), resolved.error());
    return std::nullopt;
  }
  walk.endpoint = {resolved->host, resolved->port,
                   protocol == delivery::MailProtocol::Smtp ? "smtp" : "imap"};
  walk.ca_file = resolved->ca_file;
  walk.report.server =
      fmt::format("{}:{} ({})", resolved->host, resolved->port, delivery::to_string(resolved->tls));
  if (!check_network(walk)) return std::nullopt;
  return std::move(*resolved);
}

sasl::ClientCredentials credentials_for(const Walk& walk, core::Secret token) {
  sasl::ClientCredentials credentials;
  credentials.user = walk.account->user();
  credentials.secret = std::move(token);
  credentials.host = walk.endpoint.host;
  credentials.port = walk.endpoint.port;
  return credentials;
}

void note_renewed_token(Walk& walk, const core::Error& refusal) {
  doctor::Step& auth = walk.step(doctor::StepName::Authentication);
  auth.verdict = doctor::Verdict::Warning;
  auth.found.push_back("the stored token was refused: " + refusal.message());
  auth.cause =
      "the server refused the stored token (revoked, or ended early); a renewed one was accepted";
  auth.remedy =
      "nothing, if it keeps passing; otherwise find out who revokes the tokens (mailoauth token "
      "status " +
      walk.token_account->name + ")";
}

void classify_connect_failure(Walk& walk, const core::Error& error, const Wire& wire,
                              bool implicit_tls) {
  doctor::Step& tls = walk.step(doctor::StepName::Tls);
  doctor::Step& greeting = walk.step(doctor::StepName::Greeting);
  const bool smtp = walk.endpoint.protocol == "smtp";
  const std::string& code = error.code();
  if (code == "net.certificate") {
    doctor::fail_step(tls, doctor::untrusted_certificate(error, !walk.ca_file.empty()));
    return;
  }
  const bool tls_fault = code == "net.tls" || code == "net.starttls_injection" ||
                         code == "smtp.starttls_unavailable" || code == "smtp.starttls_injection" ||
                         code == "imap.starttls_not_offered" ||
                         code == "imap.preauth_before_starttls";
  const bool silent =
      code == "net.timeout" || code == "imap.timeout" || code == "imap.session_timeout";
  // With STARTTLS the plain-text greeting comes before TLS: silence there is
  // the TLS step's, as is silence during an implicit TLS handshake.
  const bool before_tls = wire.received.empty() || (!implicit_tls && !wire.starttls_sent);
  if (tls_fault || ((silent || code == "net.closed") && before_tls)) {
    for (const std::string& line : wire.received) tls.found.push_back("before TLS: " + line);
    if (!silent) {
      doctor::fail_step(tls, error);
      return;
    }
    const char* waiting = !wire.received.empty()
                              ? (smtp ? "the reply to EHLO" : "the answer to CAPABILITY")
                          : implicit_tls ? "the TLS handshake"
                          : smtp         ? "the 220 greeting, before STARTTLS"
                                         : "the greeting, before STARTTLS";
    doctor::fail_step(tls, doctor::server_silent(walk.endpoint, waiting, walk.timeout()));
    return;
  }
  if (tls.verdict == doctor::Verdict::NotReached) tls.verdict = doctor::Verdict::Passed;
  if (silent) {
    doctor::fail_step(greeting, doctor::server_silent(walk.endpoint,
                                                      smtp ? "the greeting or the reply to EHLO"
                                                           : "the greeting or CAPABILITY",
                                                      walk.timeout()));
    return;
  }
  doctor::fail_step(greeting, error);
}

void describe_tls(doctor::Step& step, const std::string& protocol, const std::string& cipher,
                  const std::string& subject, const std::string& issuer,
                  const std::optional<core::Clock::WallTime>& not_after, const std::string& host) {
  step.found.push_back(fmt::format("{} {}", protocol, cipher));
  step.found.push_back(fmt::format("certificate {} issued by {}: chain verified, name {} matches",
                                   subject, issuer, host));
  if (!not_after) return;
  const auto now = std::chrono::system_clock::now();
  step.found.push_back(
      fmt::format("certificate valid until {}", core::format_rfc3339_utc(*not_after, false)));
  if (*not_after - now < std::chrono::hours(24 * 30)) {
    step.verdict = doctor::Verdict::Warning;
    step.cause =
        fmt::format("the server's certificate expires in {} days",
                    std::chrono::duration_cast<std::chrono::hours>(*not_after - now).count() / 24);
    step.remedy = "tell the server's operator; clients will refuse the server once it expires";
  }
}

std::string test_message(const std::string& from, const std::string& to) {
  const auto now = std::chrono::system_clock::now();
  return fmt::format(
      "From: <{}>\r\nTo: <{}>\r\nSubject: mailoauth doctor test\r\nDate: {}\r\n"
      "Message-ID: <{}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
      "\r\nThis message was sent by `mailoauth doctor --send-test` to prove that {} can send.\r\n",
      from, to, mime::rfc5322_date(now), mime::make_message_id(mime::domain_of(from)), from);
}

}  // namespace mailoauth::doctor_app
