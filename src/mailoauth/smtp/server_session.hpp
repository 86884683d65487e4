// One SMTP server session's decisions, with no I/O: fed command lines (and
// the outcomes of the slow things the driver does for it), it answers with
// the replies to send and what the driver must do next. Everything that makes
// the relay a correct and closed server lives here and is tested as data:
// command order (RFC 5321 4.1.4), EHLO's offer, STARTTLS's reset (RFC 3207),
// AUTH PLAIN and LOGIN (RFC 4954, 4616) only over TLS unless the listener
// allows clear text, "who may send" (a client network or a relay user), the
// route for the sender asked of the policy at MAIL FROM, recipient and size
// limits, and an error budget after which the client is shown the door.
//
// The driver (relay/smtp_listener) owns the socket, the spool and the
// thread that checks passwords; it calls
//   greeting() once, then on_line() for each line (a command, or an AUTH
//   response while one is pending), password_checked() after Then::
//   VerifyPassword, tls_started() after Then::StartTls, message_started()
//   after Then::BeginMessage (the spool file exists, or the disk is full),
//   and message_finished() after the content ended and was committed.
// The replies come back in order; pipelined commands are simply fed one
// after the other (RFC 2920: the server answers in order).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/secret.hpp"
#include "mailoauth/smtp/server_command.hpp"
#include "mailoauth/smtp/server_input.hpp"
#include "mailoauth/smtp/server_reply.hpp"

namespace mailoauth::smtp {

struct SessionLimits {
  std::size_t max_recipients = 1000;             // per message (Postfix's default)
  std::uint64_t max_message_size = 35ull << 20;  // SIZE in EHLO; Exchange Online's default
  std::size_t max_errors = 10;                   // refusals before 421 (Postfix: 20 hard)
  std::size_t max_auth_failures = 3;
  std::size_t max_messages = 1000;  // per session
};

struct ListenerFacts {
  std::string hostname;                 // in the greeting and EHLO
  bool tls_available = false;           // a certificate is configured: STARTTLS offered
  bool tls_active = false;              // implicit TLS, or after STARTTLS
  bool auth_offered = false;            // relay users exist for this listener
  bool plaintext_auth_allowed = false;  // AUTH without TLS (old devices; logged loudly)
  bool client_trusted = false;          // the client address is in the listener's networks
  bool chunking = false;                // offer CHUNKING/BDAT (RFC 3030)
};

// The route for a sender, or the reply refusing it (550 5.7.1 with the
// reason). Also decides whether an authenticated user may use the sender.
struct RouteAnswer {
  std::string route;
  std::optional<ServerReply> refusal;
};
using RouteLookup = std::function<RouteAnswer(std::string_view user, std::string_view sender)>;

struct Transaction {
  std::string from;  // empty: <>
  std::vector<std::string> recipients;
  std::string route;
  BodyType body = BodyType::SevenBit;
  bool smtputf8 = false;
  std::optional<std::uint64_t> declared_size;
};

enum class Then {
  Continue,        // read the next line
  StartTls,        // TLS handshake as server, then tls_started()
  VerifyPassword,  // check `user`/`password` off the event loop, then password_checked()
  BeginMessage,    // open a spool file for transaction(), then message_started()
  ReadContent,     // stream content (DATA or BDAT) into the message, then message_finished()
  Close,           // send the replies, then close the connection
};

struct SessionStep {
  std::vector<ServerReply> replies;
  Then then = Then::Continue;
  std::string user;                      // VerifyPassword
  std::optional<core::Secret> password;  // VerifyPassword
  std::uint64_t chunk_size = 0;          // ReadContent for BDAT: bytes to read
  bool chunk_last = false;               // ReadContent for BDAT
  bool data = false;                     // ReadContent: DATA (true) or BDAT (false)
};

class ServerSession {
 public:
  ServerSession(ListenerFacts facts, SessionLimits limits, RouteLookup route_lookup);

  SessionStep greeting();
  // A line from the client, as framed by ServerInput.
  SessionStep on_line(const CommandLine& line);
  SessionStep password_checked(bool valid);
  SessionStep tls_started();
  // The spool file is open (or not: the error's reply, 452 4.3.1 for a full disk).
  SessionStep message_started(std::optional<ServerReply> refusal);
  // The content ended (and, for BDAT, this chunk): `queue_id` when it is
  // durable; `refusal` when it could not be kept (452) or was too large (552).
  SessionStep message_finished(std::optional<std::string> queue_id,
                               std::optional<ServerReply> refusal);

  const Transaction& transaction() const { return transaction_; }
  const std::string& user() const { return user_; }  // empty: not authenticated
  const std::string& helo() const { return helo_; }
  bool tls_active() const { return facts_.tls_active; }
  bool esmtp() const { return esmtp_; }  // EHLO (not HELO): for the Received header
  std::size_t messages_accepted() const { return messages_; }
  // Between MAIL FROM and the end of the content: a shutdown lets it finish.
  bool in_transaction() const {
    return phase_ == Phase::Mail || phase_ == Phase::Rcpt || phase_ == Phase::Content;
  }

 private:
  // Start: no EHLO/HELO yet; Greeted: ready for MAIL.
  enum class Phase { Start, Greeted, Mail, Rcpt, Content, Closed };
  enum class AuthStep { None, PlainResponse, LoginUser, LoginPassword };

  SessionStep reply(ServerReply reply, Then then = Then::Continue);
  SessionStep refuse(ServerReply reply);  // counts an error; 421 past the budget
  SessionStep on_command(Command command);
  SessionStep on_ehlo(const Command& command);
  SessionStep on_mail(const Command& command);
  SessionStep on_rcpt(const Command& command);
  SessionStep on_data(bool is_bdat, const Command& command);
  SessionStep on_auth(Command command);
  SessionStep on_auth_response(std::string_view line);
  SessionStep on_starttls();
  std::vector<std::string> ehlo_keywords() const;
  bool auth_usable() const;
  void reset_transaction();

  ListenerFacts facts_;
  SessionLimits limits_;
  RouteLookup route_lookup_;
  Phase phase_ = Phase::Start;
  bool esmtp_ = false;
  std::string helo_;
  std::string user_;
  AuthStep auth_step_ = AuthStep::None;
  std::string auth_user_;     // LOGIN's user name while the password is asked for
  std::string pending_user_;  // the name being verified
  Transaction transaction_;
  bool bdat_started_ = false;  // a BDAT sequence is open (spool file exists)
  std::size_t errors_ = 0;
  std::size_t auth_failures_ = 0;
  std::size_t messages_ = 0;
};

}  // namespace mailoauth::smtp
