// An SMTP submission client on Asio coroutines (RFC 5321, 3207, 4954, 2920,
// 1870, 6152, 6531), the one `mailoauth send` uses and the relay will use for
// every delivery. One Session is one connection:
//   open()          connect (each resolved address in turn), TLS at once for
//                   implicit TLS (465) or read the 220 greeting, EHLO (HELO
//                   when EHLO is refused), STARTTLS when asked for — refused
//                   when the server does not offer it, since that is what a
//                   STARTTLS-stripping man in the middle looks like — and EHLO
//                   again over TLS, forgetting what was said in plain text;
//   authenticate()  AUTH with the first mechanism of the caller's list that
//                   the server offers; the initial response inline only when
//                   the line fits in 512 octets; the bearer failure challenge
//                   answered as each mechanism requires, so a refused token
//                   ends in the server's 535 and never in a hang; never over
//                   an unencrypted connection unless explicitly allowed;
//   send()          MAIL (SIZE=, BODY=8BITMIME, SMTPUTF8 as needed and
//                   offered; a clear error before anything is sent when the
//                   message needs an extension the server lacks or exceeds
//                   its SIZE), RCPT per recipient — MAIL and all RCPTs in one
//                   write with PIPELINING —, then the content streamed from a
//                   MessageSource a chunk at a time: DATA with dot-stuffing,
//                   or BDAT chunks (RFC 3030) when the caller asks for
//                   CHUNKING and the server offers it; every reply is kept,
//                   per recipient;
//   send_batch()    several messages; with PIPELINING and pipeline_messages
//                   the next message's MAIL and RCPTs go out in the same
//                   write as the end of the previous one's content (RFC 2920
//                   section 3.1);
//   probe_envelope() MAIL and RCPTs, then RSET: what the server says to a
//                   sender and recipients, with nothing sent;
//   reset(), quit() RSET between messages when needed; QUIT.
// Every read and write has a deadline; DATA's grows with the message size.
// After a network or protocol failure the session is broken and every call
// answers that; a refusal by the server leaves it usable for the next message.
// A trace callback sees each line sent and received, credentials redacted.
// Every command line is made by command_line.hpp, which refuses a user's
// word (EHLO name, address, parameter) that would change the command.
// The implementation is split by concern: client_connection.cpp, client_auth.cpp,
// client_transaction.cpp, client_content.cpp, over client_state.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/net/tls_context.hpp"
#include "mailoauth/sasl/client_mechanism.hpp"
#include "mailoauth/sasl/mechanism.hpp"
#include "mailoauth/smtp/ehlo_capabilities.hpp"
#include "mailoauth/smtp/message_source.hpp"
#include "mailoauth/smtp/reply_parser.hpp"
#include "mailoauth/smtp/send_report.hpp"

namespace mailoauth::smtp {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// RFC 5321 section 4.5.3.2 gives 5 minutes for most replies and 10 for the
// one after DATA's dot; a person at a terminal should not wait that long for
// a dead server, so the defaults are shorter except for the final reply
// (Exchange scans the message before answering).
struct Timeouts {
  milliseconds connect{30'000};
  milliseconds greeting{120'000};
  milliseconds command{120'000};       // EHLO, STARTTLS (and its handshake), AUTH, MAIL, RCPT, RSET
  milliseconds data_minimum{120'000};  // sending the message: at least this,
  std::size_t data_bytes_per_second = 16'384;  // plus one second per this many bytes
  milliseconds final_reply{600'000};           // the reply after <CRLF>.<CRLF>
};

enum class TraceDirection { Sent, Received };
// One line without its CRLF, already redacted.
using TraceFunction = std::function<void(TraceDirection, std::string_view)>;

struct ClientSettings {
  std::string host;
  std::uint16_t port = 587;
  Security security = Security::StartTls;
  net::NetType net_type = net::NetType::Auto;
  net::TlsSettings tls;
  // Optional: one TLS context for every connection to this server (made with
  // net::TlsContext::client, which reads the CA file once: the relay keeps one
  // per upstream); when empty, open() makes one from `tls`.
  std::shared_ptr<const net::TlsContext> tls_context;
  std::string helo_name;  // empty: this machine's host name ("localhost" if it has none)
  bool allow_plaintext_auth = false;
  // BDAT instead of DATA when the server offers CHUNKING (RFC 3030): no
  // dot-stuffing, the size of each chunk announced. Off by default.
  bool chunking = false;
  // send_batch(): the next message's MAIL and RCPTs in the same write as the
  // end of the previous content (RFC 2920 3.1) when the server offers
  // PIPELINING. Off by default: Dovecot 2.3.19's submission server aborts
  // (assertion `pending_rcpt_cmds == 0`) when RCPTs arrive that way; Postfix
  // takes it.
  bool pipeline_messages = false;
  Timeouts timeouts;
  ReplyLimits limits;
  TraceFunction trace;
};

// One message of a batch.
struct Transaction {
  Envelope envelope;
  MessageSource message;
};

class Session {
 public:
  static asio::awaitable<core::Result<std::unique_ptr<Session>>> open(ClientSettings settings);
  ~Session();

  // `allowed`: mechanisms in preference order (the account's policy).
  asio::awaitable<core::Result<sasl::Mechanism>> authenticate(sasl::ClientCredentials credentials,
                                                              std::vector<sasl::Mechanism> allowed);

  // `message`: RFC 5322 text, not dot-stuffed (LF or CRLF line endings),
  // read a chunk at a time: memory is one chunk and its stuffed copy.
  // Errors: the session broke (network, protocol, deadline, the source could
  // not be read), or the message was refused before sending (too large,
  // needs 8BITMIME/SMTPUTF8, a word that would inject a command); the
  // server's refusals are in the report. A session left after a partial
  // transaction is reset before the next send().
  asio::awaitable<core::Result<SendReport>> send(Envelope envelope, MessageSource message);
  // The same for a message in memory.
  asio::awaitable<core::Result<SendReport>> send(Envelope envelope, std::string message);
  // Each message in turn, one result per message in order. With PIPELINING
  // the commands of message n+1 ride in the last write of message n's
  // content; the reports stay per message. After the session breaks, the
  // remaining messages carry smtp.session_broken.
  asio::awaitable<std::vector<core::Result<SendReport>>> send_batch(
      std::vector<Transaction> transactions);

  // MAIL and the RCPTs, then RSET: never DATA, so nothing is sent. The
  // replies are in the report (MAIL's, and each recipient's); for `mailoauth
  // doctor`, which proves the server would take mail from this sender for
  // these recipients.
  asio::awaitable<core::Result<SendReport>> probe_envelope(Envelope envelope);

  asio::awaitable<core::Result<void>> reset();
  // QUIT and close; errors are ignored (the work is done).
  asio::awaitable<void> quit();

  const EhloCapabilities& capabilities() const;
  const Reply& greeting() const;
  bool encrypted() const;
  bool broken() const;
  std::optional<net::PeerCertificate> peer_certificate() const;
  const std::string& peer() const;

  struct State;

 private:
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// This machine's host name for EHLO, or "localhost".
std::string default_helo_name();

}  // namespace mailoauth::smtp
