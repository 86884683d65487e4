// The SMTP server session's decisions; see server_session.hpp. The reply
// texts follow Postfix's where a device's log or its admin knows them, and
// RFC 5321/3463/4954's codes: 503 5.5.1 for a command out of order, 530 5.7.0
// when authentication is needed, 538 5.7.11 when it needs TLS first, 535
// 5.7.8 for bad credentials, 452 4.5.3 past the recipient limit, 552 5.3.4
// past the size limit, 553 5.6.7 for UTF-8 without SMTPUTF8, 421 4.7.0 when
// the error budget is spent.
#include "mailoauth/smtp/server_session.hpp"

#include <fmt/format.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/sasl/plain.hpp"

namespace mailoauth::smtp {

namespace {

constexpr std::string_view kUsernamePrompt = "VXNlcm5hbWU6";  // "Username:"
constexpr std::string_view kPasswordPrompt = "UGFzc3dvcmQ6";  // "Password:"

}  // namespace

ServerSession::ServerSession(ListenerFacts facts, SessionLimits limits, RouteLookup route_lookup)
    : facts_(std::move(facts)), limits_(limits), route_lookup_(std::move(route_lookup)) {}

SessionStep ServerSession::reply(ServerReply answer, Then then) {
  SessionStep step;
  step.replies.push_back(std::move(answer));
  step.then = then;
  return step;
}

SessionStep ServerSession::refuse(ServerReply answer) {
  if (++errors_ > limits_.max_errors) {
    phase_ = Phase::Closed;
    SessionStep step = reply(std::move(answer));
    step.replies.emplace_back(421, "4.7.0",
                              fmt::format("{} Error: too many errors", facts_.hostname));
    step.then = Then::Close;
    return step;
  }
  return reply(std::move(answer));
}

SessionStep ServerSession::greeting() {
  return reply(ServerReply(220, "", fmt::format("{} ESMTP mailoauth", facts_.hostname)));
}

void ServerSession::reset_transaction() {
  transaction_ = Transaction();
  bdat_started_ = false;
  if (phase_ == Phase::Mail || phase_ == Phase::Rcpt || phase_ == Phase::Content) {
    phase_ = Phase::Greeted;
  }
}

bool ServerSession::auth_usable() const {
  return facts_.auth_offered && (facts_.tls_active || facts_.plaintext_auth_allowed);
}

std::vector<std::string> ServerSession::ehlo_keywords() const {
  std::vector<std::string> keywords{"PIPELINING", fmt::format("SIZE {}", limits_.max_message_size),
                                    "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES"};
  if (facts_.chunking) keywords.emplace_back("CHUNKING");
  if (facts_.tls_available && !facts_.tls_active) keywords.emplace_back("STARTTLS");
  if (auth_usable() && user_.empty()) keywords.emplace_back("AUTH PLAIN LOGIN");
  return keywords;
}

SessionStep ServerSession::on_line(const CommandLine& line) {
  if (phase_ == Phase::Closed) return reply(ServerReply(421, "4.3.0", "closing"), Then::Close);
  if (line.too_long) {
    auth_step_ = AuthStep::None;
    return refuse(reply::line_too_long());
  }
  if (auth_step_ != AuthStep::None) return on_auth_response(line.text);
  if (line.has_nul) return refuse(ServerReply(500, "5.5.2", "Error: NUL in the command"));
  auto command = parse_command(line.text);
  if (!command) return refuse(std::move(command.error()));
  return on_command(std::move(*command));
}

SessionStep ServerSession::on_command(Command command) {
  switch (command.verb) {
    case Verb::Ehlo:
    case Verb::Helo:
      return on_ehlo(command);
    case Verb::Mail:
      return on_mail(command);
    case Verb::Rcpt:
      return on_rcpt(command);
    case Verb::Data:
    case Verb::Bdat:
      return on_data(command.verb == Verb::Bdat, command);
    case Verb::Rset:
      reset_transaction();
      return reply(reply::ok());
    case Verb::Noop:
      return reply(reply::ok());
    case Verb::Quit:
      phase_ = Phase::Closed;
      return reply(ServerReply(221, "2.0.0", "Bye"), Then::Close);
    case Verb::Vrfy:
      return reply(ServerReply(252, "2.0.0", "Cannot VRFY user; send mail and it will be tried"));
    case Verb::Expn:
      return refuse(ServerReply(502, "5.5.1", "Error: EXPN is not implemented"));
    case Verb::Help:
      return reply(ServerReply(214, "2.0.0", "See RFC 5321; this is a relay for legacy devices"));
    case Verb::StartTls:
      return on_starttls();
    case Verb::Auth:
      return on_auth(std::move(command));
  }
  return refuse(reply::unrecognised("Error: command not recognized"));
}

SessionStep ServerSession::on_ehlo(const Command& command) {
  reset_transaction();
  phase_ = Phase::Greeted;
  helo_ = command.argument;
  esmtp_ = command.verb == Verb::Ehlo;
  if (!esmtp_) return reply(ServerReply(250, "", facts_.hostname));
  ServerReply answer(250, "", facts_.hostname);
  for (std::string& keyword : ehlo_keywords()) answer.lines.push_back(std::move(keyword));
  return reply(std::move(answer));
}

SessionStep ServerSession::on_starttls() {
  if (!facts_.tls_available) {
    return refuse(ServerReply(502, "5.5.1", "Error: command not implemented"));
  }
  if (facts_.tls_active) return refuse(reply::bad_sequence("Error: TLS already active"));
  if (phase_ == Phase::Mail || phase_ == Phase::Rcpt) {
    return refuse(reply::bad_sequence("Error: STARTTLS inside a mail transaction"));
  }
  return reply(ServerReply(220, "2.0.0", "Ready to start TLS"), Then::StartTls);
}

SessionStep ServerSession::tls_started() {
  // RFC 3207 4.2: everything learnt before TLS is forgotten.
  facts_.tls_active = true;
  esmtp_ = false;
  helo_.clear();
  user_.clear();
  transaction_ = Transaction();
  phase_ = Phase::Start;
  return SessionStep{};
}

SessionStep ServerSession::on_mail(const Command& command) {
  if (phase_ == Phase::Start) return refuse(reply::bad_sequence("Error: send HELO/EHLO first"));
  if (phase_ != Phase::Greeted) return refuse(reply::bad_sequence("Error: nested MAIL command"));
  if (!facts_.client_trusted && user_.empty()) {
    if (auth_usable()) return refuse(ServerReply(530, "5.7.0", "Authentication required"));
    if (facts_.auth_offered) {
      return refuse(ServerReply(530, "5.7.0", "Must issue a STARTTLS command first"));
    }
    return refuse(ServerReply(
        554, "5.7.1",
        "Relay access denied: this client's address is not in the listener's client networks"));
  }
  if (messages_ >= limits_.max_messages) {
    return refuse(ServerReply(452, "4.5.3", "Error: too many messages in one session"));
  }
  if (command.mail.size && *command.mail.size > limits_.max_message_size) {
    return refuse(ServerReply(552, "5.3.4", "Message size exceeds fixed limit"));
  }
  if (!command.address_is_ascii && !command.mail.smtputf8) {
    return refuse(ServerReply(553, "5.6.7", "Error: a UTF-8 address needs the SMTPUTF8 parameter"));
  }
  if (command.mail.body == BodyType::BinaryMime && !facts_.chunking) {
    return refuse(ServerReply(555, "5.5.4", "Error: BINARYMIME needs CHUNKING, not offered"));
  }
  const RouteAnswer route = route_lookup_(user_, command.address);
  if (route.refusal) return refuse(*route.refusal);
  transaction_ = Transaction();
  transaction_.from = command.address;
  transaction_.route = route.route;
  transaction_.body = command.mail.body;
  transaction_.smtputf8 = command.mail.smtputf8;
  transaction_.declared_size = command.mail.size;
  phase_ = Phase::Mail;
  return reply(reply::ok());
}

SessionStep ServerSession::on_rcpt(const Command& command) {
  if (phase_ != Phase::Mail && phase_ != Phase::Rcpt) {
    return refuse(reply::bad_sequence("Error: need MAIL command"));
  }
  if (transaction_.recipients.size() >= limits_.max_recipients) {
    return refuse(ServerReply(452, "4.5.3", "Error: too many recipients"));
  }
  if (!command.address_is_ascii && !transaction_.smtputf8) {
    return refuse(ServerReply(553, "5.6.7", "Error: a UTF-8 address needs SMTPUTF8 at MAIL"));
  }
  transaction_.recipients.push_back(command.address);
  phase_ = Phase::Rcpt;
  return reply(reply::ok());
}

SessionStep ServerSession::on_data(bool is_bdat, const Command& command) {
  if (is_bdat && !facts_.chunking) {
    return refuse(ServerReply(502, "5.5.1", "Error: BDAT without CHUNKING"));
  }
  if (phase_ == Phase::Greeted || phase_ == Phase::Start) {
    return refuse(reply::bad_sequence("Error: need MAIL command"));
  }
  if (phase_ == Phase::Mail) return refuse(reply::bad_sequence("Error: need RCPT command"));
  SessionStep step;
  step.data = !is_bdat;
  step.chunk_size = command.chunk_size;
  step.chunk_last = command.last_chunk;
  if (is_bdat && bdat_started_) {
    step.then = Then::ReadContent;
    return step;
  }
  if (!is_bdat && transaction_.body == BodyType::BinaryMime) {
    return refuse(reply::bad_sequence("Error: BINARYMIME needs BDAT"));
  }
  phase_ = Phase::Content;
  bdat_started_ = is_bdat;
  step.then = Then::BeginMessage;
  return step;
}

SessionStep ServerSession::message_started(std::optional<ServerReply> refusal) {
  SessionStep step;
  if (refusal) {
    // For BDAT the chunk's bytes are on their way and must be read and
    // dropped; the driver does that when it sees a refusal here.
    step.data = !bdat_started_;
    reset_transaction();
    ++errors_;
    step.replies.push_back(std::move(*refusal));
    return step;
  }
  step.then = Then::ReadContent;
  step.data = !bdat_started_;
  if (step.data) step.replies.emplace_back(354, "", "End data with <CR><LF>.<CR><LF>");
  return step;
}

SessionStep ServerSession::message_finished(std::optional<std::string> queue_id,
                                            std::optional<ServerReply> refusal) {
  if (refusal) {
    reset_transaction();
    return refuse(std::move(*refusal));
  }
  if (!queue_id) {  // a BDAT chunk that was not the last
    return reply(reply::ok("Ok: chunk received"));
  }
  ++messages_;
  reset_transaction();
  return reply(ServerReply(250, "2.0.0", fmt::format("Ok: queued as {}", *queue_id)));
}

SessionStep ServerSession::on_auth(Command command) {
  if (!facts_.auth_offered) {
    return refuse(reply::bad_sequence("Error: authentication not enabled"));
  }
  if (!auth_usable()) {
    return refuse(
        ServerReply(538, "5.7.11", "Encryption required for requested authentication mechanism"));
  }
  if (phase_ == Phase::Start) return refuse(reply::bad_sequence("Error: send HELO/EHLO first"));
  if (!user_.empty()) return refuse(reply::bad_sequence("Error: already authenticated"));
  if (phase_ != Phase::Greeted) {
    return refuse(reply::bad_sequence("Error: MAIL transaction in progress"));
  }
  if (command.argument == "PLAIN") {
    if (!command.initial_response) {
      auth_step_ = AuthStep::PlainResponse;
      return reply(ServerReply(334, "", ""));
    }
    return on_auth_response(command.initial_response->reveal());
  }
  if (command.argument == "LOGIN") {
    if (command.initial_response) {  // RFC 4954 allows the user name here
      auth_step_ = AuthStep::LoginUser;
      return on_auth_response(command.initial_response->reveal());
    }
    auth_step_ = AuthStep::LoginUser;
    return reply(ServerReply(334, "", std::string(kUsernamePrompt)));
  }
  return refuse(ServerReply(504, "5.5.4", "Unrecognized authentication type"));
}

SessionStep ServerSession::on_auth_response(std::string_view line) {
  const AuthStep step = auth_step_;
  auth_step_ = AuthStep::None;
  if (line == "*") return refuse(ServerReply(501, "5.7.0", "Authentication aborted"));
  auto decoded =
      line == "=" ? core::Result<std::string>(std::string()) : core::base64::decode(line);
  if (!decoded) return refuse(ServerReply(501, "5.5.2", "Cannot decode the response"));
  core::Secret bytes = core::Secret::take(std::move(*decoded));
  SessionStep result;
  switch (step) {
    case AuthStep::PlainResponse:
    case AuthStep::None: {
      auto credentials = sasl::parse_plain_response(bytes.reveal());
      if (!credentials ||
          (!credentials->authzid.empty() && credentials->authzid != credentials->authcid)) {
        return refuse(ServerReply(535, "5.7.8", "Authentication credentials invalid"));
      }
      result.then = Then::VerifyPassword;
      result.user = credentials->authcid;
      result.password = std::move(credentials->password);
      pending_user_ = result.user;
      return result;
    }
    case AuthStep::LoginUser:
      auth_user_.assign(bytes.reveal());
      auth_step_ = AuthStep::LoginPassword;
      return reply(ServerReply(334, "", std::string(kPasswordPrompt)));
    case AuthStep::LoginPassword:
      result.then = Then::VerifyPassword;
      result.user = std::exchange(auth_user_, {});
      result.password = std::move(bytes);
      pending_user_ = result.user;
      return result;
  }
  return refuse(ServerReply(535, "5.7.8", "Authentication credentials invalid"));
}

SessionStep ServerSession::password_checked(bool valid) {
  std::string user = std::exchange(pending_user_, {});
  if (!valid) {
    if (++auth_failures_ >= limits_.max_auth_failures) {
      phase_ = Phase::Closed;
      SessionStep step = reply(ServerReply(535, "5.7.8", "Authentication credentials invalid"));
      step.replies.emplace_back(421, "4.7.0",
                                fmt::format("{} Error: too many failed logins", facts_.hostname));
      step.then = Then::Close;
      return step;
    }
    return refuse(ServerReply(535, "5.7.8", "Authentication credentials invalid"));
  }
  user_ = std::move(user);
  return reply(ServerReply(235, "2.7.0", "Authentication successful"));
}

}  // namespace mailoauth::smtp
