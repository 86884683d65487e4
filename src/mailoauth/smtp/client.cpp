// The SMTP client session: the dialogue of client.hpp on net::Stream, with
// the reply parser, EHLO reader, SASL state machines and reply catalogue doing
// the parsing and explaining. Coroutine rules for g++ 12 (docs/ARCHITECTURE.md,
// net): helpers are free coroutine functions taking the State by reference
// and everything else by value, and every co_await result is named before it
// is returned.
#include "mailoauth/smtp/client.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/redact.hpp"
#include "mailoauth/smtp/auth_command.hpp"
#include "mailoauth/smtp/dot_stuffing.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;
using core::Result;
using Clock = std::chrono::steady_clock;

// Recipients per pipelined batch: the server's replies to one batch must fit
// in the socket buffers while we are still writing it, or both sides wait for
// each other. 100 replies of ~50 bytes are far below any buffer.
constexpr std::size_t kPipelineBatch = 100;
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr int kMaxAuthSteps = 6;

struct Session::State {
  explicit State(net::Stream s, ClientSettings c) : stream(std::move(s)), settings(std::move(c)) {}
  net::Stream stream;
  ClientSettings settings;
  ReplyParser parser{settings.limits};
  EhloCapabilities capabilities;
  Reply greeting;
  bool broken = false;
  bool in_transaction = false;  // MAIL sent, no final reply or RSET yet
};

namespace {

void trace(Session::State& state, TraceDirection direction, std::string_view line,
           core::WireContent content = core::WireContent::Normal) {
  if (!state.settings.trace) return;
  state.settings.trace(direction, core::redact_wire_line(line, content));
}

// Each line of `bytes` (CRLF-separated) to the trace.
void trace_sent(Session::State& state, std::string_view bytes,
                core::WireContent content = core::WireContent::Normal) {
  if (!state.settings.trace) return;
  while (!bytes.empty()) {
    std::size_t end = bytes.find("\r\n");
    std::string_view line = bytes.substr(0, end);
    trace(state, TraceDirection::Sent, line, content);
    if (end == std::string_view::npos) break;
    bytes.remove_prefix(end + 2);
  }
}

void trace_reply(Session::State& state, const Reply& reply) {
  if (!state.settings.trace) return;
  for (std::size_t i = 0; i < reply.lines.size(); ++i) {
    const char separator = i + 1 < reply.lines.size() ? '-' : ' ';
    trace(state, TraceDirection::Received,
          fmt::format("{}{}{}", reply.code, separator, reply.lines[i]));
  }
}

core::Error broke(Session::State& state, core::Error error) {
  state.broken = true;
  state.stream.close();
  return error;
}

milliseconds remaining(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return std::max(left, milliseconds(1));
}

// The next reply, reading as needed until `timeout` has passed in total (a
// server that trickles one byte at a time does not get a new deadline per byte).
asio::awaitable<Result<Reply>> read_reply(Session::State& state, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto ready = state.parser.next();
  while (ready && !*ready) {
    auto chunk = co_await state.stream.read_some(kReadChunk, remaining(deadline));
    if (!chunk) co_return core::fail(broke(state, chunk.error()));
    ready = state.parser.feed(*chunk);
  }
  if (!ready) {
    core::Error error = ready.error();
    error.context(fmt::format("reading the reply of {}", state.stream.peer()));
    co_return core::fail(broke(state, std::move(error)));
  }
  Reply reply = std::move(**ready);
  trace_reply(state, reply);
  co_return reply;
}

asio::awaitable<Result<void>> write_bytes(Session::State& state, std::string_view bytes,
                                          milliseconds timeout) {
  auto written = co_await state.stream.write(bytes, timeout);
  if (!written) co_return core::fail(broke(state, written.error()));
  co_return Result<void>();
}

// A command of ours and its reply.
asio::awaitable<Result<Reply>> command(Session::State& state, std::string line) {
  trace_sent(state, line);
  line += "\r\n";
  auto written = co_await write_bytes(state, line, state.settings.timeouts.command);
  if (!written) co_return core::fail(written.error());
  auto reply = co_await read_reply(state, state.settings.timeouts.command);
  co_return reply;
}

// EHLO, or HELO when the server does not know EHLO (500/502, RFC 5321 4.1.4).
asio::awaitable<Result<void>> hello(Session::State& state) {
  std::string name =
      state.settings.helo_name.empty() ? default_helo_name() : state.settings.helo_name;
  auto ehlo = co_await command(state, fmt::format("EHLO {}", name));
  if (!ehlo) co_return core::fail(ehlo.error());
  if (ehlo->code == 250) {
    // The first line is the greeting; parse_ehlo_capabilities keeps it apart.
    state.capabilities = parse_ehlo_capabilities(ehlo->lines);
    co_return Result<void>();
  }
  if (ehlo->code != 500 && ehlo->code != 502) {
    co_return core::fail(explain_reply(*ehlo, "EHLO"));
  }
  auto helo = co_await command(state, fmt::format("HELO {}", name));
  if (!helo) co_return core::fail(helo.error());
  if (helo->code != 250) co_return core::fail(explain_reply(*helo, "HELO"));
  state.capabilities = EhloCapabilities{};
  if (!helo->lines.empty()) state.capabilities.greeting = helo->lines.front();
  co_return Result<void>();
}

asio::awaitable<Result<void>> start_tls(Session::State& state) {
  if (!state.capabilities.has("STARTTLS")) {
    co_return core::fail(
        ErrorClass::Config, "smtp.starttls_unavailable",
        fmt::format("{} does not offer STARTTLS; refusing to go on without TLS (a server "
                    "that drops STARTTLS from its EHLO reply may be a man in the middle)",
                    state.stream.peer()),
        "check the port: 587 and 25 take STARTTLS, 465 takes implicit TLS (--tls implicit); "
        "for a local test server without TLS, --tls none");
  }
  auto reply = co_await command(state, "STARTTLS");
  if (!reply) co_return core::fail(reply.error());
  if (reply->code != 220) co_return core::fail(explain_reply(*reply, "STARTTLS"));
  if (state.parser.buffered_size() != 0) {
    co_return core::fail(broke(
        state, core::Error(ErrorClass::Permanent, "smtp.starttls_injection",
                           fmt::format("{} sent more after its STARTTLS answer; refusing to go "
                                       "on (possible STARTTLS command injection, RFC 3207 4.2)",
                                       state.stream.peer()),
                           "report it to the server's operator; nothing was sent")));
  }
  auto tls = co_await state.stream.start_tls(state.settings.tls, state.settings.timeouts.command);
  if (!tls) co_return core::fail(broke(state, tls.error()));
  // RFC 3207 4.2: forget everything learnt in plain text.
  state.parser = ReplyParser(state.settings.limits);
  state.capabilities = EhloCapabilities{};
  auto again = co_await hello(state);
  co_return again;
}

asio::awaitable<Result<std::unique_ptr<Session::State>>> open_state(ClientSettings settings) {
  auto connected = co_await net::Stream::connect(settings.host, settings.port, settings.net_type,
                                                 settings.timeouts.connect);
  if (!connected) co_return core::fail(connected.error());
  auto state = std::make_unique<Session::State>(std::move(*connected), std::move(settings));
  if (state->settings.security == Security::Implicit) {
    auto tls =
        co_await state->stream.start_tls(state->settings.tls, state->settings.timeouts.connect);
    if (!tls) co_return core::fail(tls.error());
  }
  auto greeting = co_await read_reply(*state, state->settings.timeouts.greeting);
  if (!greeting) co_return core::fail(greeting.error());
  if (greeting->code != 220) {
    core::Error error = explain_reply(*greeting, "the greeting");
    co_return core::fail(broke(*state, std::move(error)));
  }
  state->greeting = std::move(*greeting);
  auto hi = co_await hello(*state);
  if (!hi) co_return core::fail(hi.error());
  if (state->settings.security == Security::StartTls) {
    auto tls = co_await start_tls(*state);
    if (!tls) co_return core::fail(tls.error());
  }
  co_return state;
}

// Characters that would let an address change the command it is in.
Result<void> check_address(std::string_view what, std::string_view address) {
  for (unsigned char c : address) {
    if (c < 0x21 || c == 0x7f || c == '<' || c == '>') {
      return core::fail(
          ErrorClass::Config, "smtp.bad_address",
          fmt::format("the {} address \"{}\" contains {}", what, core::redact_wire_line(address),
                      c == ' ' ? "a space" : "a character SMTP cannot carry"),
          "give a plain address (user@example.com), without a display name");
    }
  }
  return {};
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return (c & 0x80) != 0; });
}

core::Error explain_auth_failure(const Reply& reply, const sasl::ClientMechanism& mechanism) {
  core::Error error =
      explain_reply(reply, fmt::format("AUTH {}", wire_name(mechanism.mechanism())));
  if (const auto& failure = mechanism.failure()) {
    std::string detail = fmt::format("; the server's OAuth2 status: \"{}\"", failure->status);
    if (!failure->scope.empty()) detail += fmt::format(", wanted scope \"{}\"", failure->scope);
    return core::Error(error.error_class(), error.code(), error.message() + detail,
                       error.remedy().empty()
                           ? "check the account's scopes and mailbox; `mailoauth token inspect` "
                             "shows what the token holds (mailoauth send renews a refused "
                             "token once before reporting this)"
                           : error.remedy());
  }
  return error;
}

asio::awaitable<Result<sasl::Mechanism>> run_auth(Session::State& state,
                                                  sasl::ClientCredentials credentials,
                                                  std::vector<sasl::Mechanism> allowed) {
  if (state.broken) {
    co_return core::fail(ErrorClass::Bug, "smtp.session_broken", "the SMTP session is broken");
  }
  if (!state.stream.encrypted() && !state.settings.allow_plaintext_auth) {
    co_return core::fail(
        ErrorClass::Config, "smtp.auth_unencrypted",
        fmt::format("refusing to send credentials to {} over an unencrypted connection",
                    state.stream.peer()),
        "use --tls starttls or --tls implicit; only a local test server justifies "
        "allow_plaintext_auth");
  }
  const std::vector<std::string> offered = state.capabilities.auth_mechanisms();
  auto chosen = choose_mechanism(offered, allowed, state.stream.peer());
  if (!chosen) co_return core::fail(chosen.error());
  auto mechanism = sasl::make_client_mechanism(*chosen, std::move(credentials));
  if (!mechanism) co_return core::fail(mechanism.error());
  auto initial = (*mechanism)->initial_response();
  if (!initial) co_return core::fail(initial.error());
  AuthCommand auth = auth_command(*chosen, *initial);

  trace_sent(state, auth.line.reveal());
  auto sent = co_await write_bytes(state, auth.line.reveal(), state.settings.timeouts.command);
  if (!sent) co_return core::fail(sent.error());
  for (int step = 0; step < kMaxAuthSteps; ++step) {
    auto reply = co_await read_reply(state, state.settings.timeouts.command);
    if (!reply) co_return core::fail(reply.error());
    if (reply->code == 235) co_return *chosen;
    if (reply->code != 334) co_return core::fail(explain_auth_failure(*reply, **mechanism));
    core::Secret answer;
    if (auth.deferred) {
      answer = std::move(*auth.deferred);
      auth.deferred.reset();
    } else {
      std::string_view text = reply->lines.front();
      auto challenge = core::base64::decode(text, core::base64::Alphabet::Standard,
                                            core::base64::Padding::Optional);
      if (!challenge) {
        // RFC 4954: "*" cancels; the server then answers 501.
        trace_sent(state, "*");
        auto cancelled = co_await write_bytes(state, "*\r\n", state.settings.timeouts.command);
        (void)cancelled;
        co_return core::fail(broke(
            state, core::Error(ErrorClass::Permanent, "smtp.bad_challenge",
                               fmt::format("{} sent a SASL challenge that is not base64 ({})",
                                           state.stream.peer(), challenge.error().message()))));
      }
      auto response = (*mechanism)->respond(*challenge);
      if (!response) {
        trace_sent(state, "*");
        auto cancelled = co_await write_bytes(state, "*\r\n", state.settings.timeouts.command);
        (void)cancelled;
        co_return core::fail(response.error());
      }
      answer = encode_response_line(*response);
    }
    trace_sent(state, answer.reveal(), core::WireContent::Credentials);
    auto written = co_await write_bytes(state, answer.reveal(), state.settings.timeouts.command);
    if (!written) co_return core::fail(written.error());
  }
  co_return core::fail(broke(
      state,
      core::Error(ErrorClass::Permanent, "smtp.auth_loop",
                  fmt::format("{} kept sending challenges; AUTH abandoned", state.stream.peer()))));
}

std::string mail_command(const Session::State& state, const Envelope& envelope, std::size_t size) {
  std::string line = fmt::format("MAIL FROM:<{}>", envelope.from);
  if (state.capabilities.has("SIZE")) line += fmt::format(" SIZE={}", size);
  if (envelope.needs_8bitmime) line += " BODY=8BITMIME";
  if (envelope.needs_smtputf8) line += " SMTPUTF8";
  return line;
}

asio::awaitable<Result<void>> reset_state(Session::State& state) {
  auto reply = co_await command(state, "RSET");
  if (!reply) co_return core::fail(reply.error());
  if (reply->code != 250) {
    core::Error error = explain_reply(*reply, "RSET");
    co_return core::fail(broke(state, std::move(error)));
  }
  state.in_transaction = false;
  co_return Result<void>();
}

// MAIL and the RCPTs, pipelined in batches when the server allows it, with
// DATA as the last command of the last batch (RFC 2920 section 3.1): two
// round trips per message instead of 3 + recipients. `data_start` is then
// DATA's reply (354, or the refusal when no recipient was accepted).
asio::awaitable<Result<void>> envelope_commands(Session::State& state, std::string mail,
                                                const Envelope& envelope, SendReport& report,
                                                std::optional<Reply>& data_start) {
  const bool pipelining = state.capabilities.has("PIPELINING");
  const milliseconds timeout = state.settings.timeouts.command;
  std::vector<std::string> lines;
  lines.push_back(std::move(mail));
  for (const std::string& recipient : envelope.recipients) {
    lines.push_back(fmt::format("RCPT TO:<{}>", recipient));
  }
  if (pipelining) lines.push_back("DATA");
  state.in_transaction = true;
  std::size_t next = 0;
  while (next < lines.size()) {
    const std::size_t batch = pipelining ? std::min(kPipelineBatch, lines.size() - next) : 1;
    std::string bytes;
    for (std::size_t i = next; i < next + batch; ++i) {
      trace_sent(state, lines[i]);
      bytes += lines[i];
      bytes += "\r\n";
    }
    auto written = co_await write_bytes(state, bytes, timeout);
    if (!written) co_return core::fail(written.error());
    for (std::size_t i = next; i < next + batch; ++i) {
      auto reply = co_await read_reply(state, timeout);
      if (!reply) co_return core::fail(reply.error());
      if (i == 0) {
        report.mail_reply = std::move(*reply);
        if (report.mail_reply.code / 100 != 2 && !pipelining) co_return Result<void>();
      } else if (i == envelope.recipients.size() + 1) {
        data_start = std::move(*reply);
      } else {
        report.recipients.push_back({envelope.recipients[i - 1], std::move(*reply)});
      }
    }
    next += batch;
  }
  co_return Result<void>();
}

asio::awaitable<Result<SendReport>> run_send(Session::State& state, Envelope envelope,
                                             std::string message) {
  if (state.broken) {
    co_return core::fail(ErrorClass::Bug, "smtp.session_broken",
                         "the SMTP session is broken; open a new one");
  }
  if (envelope.recipients.empty()) {
    co_return core::fail(ErrorClass::Config, "smtp.no_recipients", "the message has no recipients",
                         "give at least one --to, --cc or --bcc (sendmail: -t or an address)");
  }
  if (auto checked = check_address("sender", envelope.from); !checked) {
    co_return core::fail(checked.error());
  }
  for (const std::string& recipient : envelope.recipients) {
    if (auto checked = check_address("recipient", recipient); !checked) {
      co_return core::fail(checked.error());
    }
    if (recipient.empty()) {
      co_return core::fail(ErrorClass::Config, "smtp.bad_address", "an empty recipient address",
                           "give user@example.com");
    }
    if (has_non_ascii(recipient)) envelope.needs_smtputf8 = true;
  }
  if (has_non_ascii(envelope.from)) envelope.needs_smtputf8 = true;

  const std::string& peer = state.stream.peer();
  if (envelope.needs_smtputf8 && !state.capabilities.has("SMTPUTF8")) {
    co_return core::fail(
        ErrorClass::Permanent, "smtp.smtputf8_unavailable",
        fmt::format("the message has an address with non-ASCII characters, and {} does not offer "
                    "SMTPUTF8 (RFC 6531)",
                    peer),
        "use the ASCII (punycode) form of the domain, or a server that offers SMTPUTF8");
  }
  if (envelope.needs_8bitmime && !state.capabilities.has("8BITMIME")) {
    co_return core::fail(
        ErrorClass::Permanent, "smtp.8bitmime_unavailable",
        fmt::format("the message has 8-bit content, and {} does not offer 8BITMIME (RFC 6152)",
                    peer),
        "encode the body as quoted-printable or base64 (mailoauth send does so for messages it "
        "builds), or use a server that offers 8BITMIME");
  }

  DotStuffer stuffer;
  std::string data;
  stuffer.feed(message, data);
  message.clear();
  message.shrink_to_fit();
  stuffer.finish(data);
  const std::size_t size = data.size() - 3;  // the message with CRLFs, without ".\r\n"
  if (auto limit = state.capabilities.size_limit(); limit && size > *limit) {
    co_return core::fail(
        ErrorClass::Permanent, "smtp.message_too_large",
        fmt::format("the message is {} bytes; {} takes at most {} (its SIZE)", size, peer, *limit),
        "send smaller attachments (a link instead of the file); Exchange Online's default limit "
        "is 35 MB including base64's third");
  }

  if (state.in_transaction) {
    auto reset = co_await reset_state(state);
    if (!reset) co_return core::fail(reset.error());
  }
  SendReport report;
  std::optional<Reply> data_start;
  auto envelope_sent = co_await envelope_commands(state, mail_command(state, envelope, size),
                                                  envelope, report, data_start);
  if (!envelope_sent) co_return core::fail(envelope_sent.error());
  const bool refused = report.mail_reply.code / 100 != 2 || report.accepted_count() == 0;
  if (refused && data_start && data_start->code == 354) {
    // A server that says 354 with no recipient (RFC 2920 forbids it): end the
    // empty message at once; it goes nowhere.
    trace_sent(state, ".");
    auto ended = co_await write_bytes(state, ".\r\n", state.settings.timeouts.command);
    if (!ended) co_return core::fail(ended.error());
    auto discarded = co_await read_reply(state, state.settings.timeouts.final_reply);
    if (!discarded) co_return core::fail(discarded.error());
  }
  if (report.mail_reply.code / 100 != 2) {
    state.in_transaction = false;
    co_return report;
  }
  if (report.accepted_count() == 0) {
    auto reset = co_await reset_state(state);
    if (!reset) co_return core::fail(reset.error());
    co_return report;
  }
  if (!data_start) {
    auto go_ahead = co_await command(state, "DATA");
    if (!go_ahead) co_return core::fail(go_ahead.error());
    data_start = std::move(*go_ahead);
  }
  if (data_start->code != 354) {
    report.data_start_reply = std::move(*data_start);
    auto reset = co_await reset_state(state);
    if (!reset) co_return core::fail(reset.error());
    co_return report;
  }
  const milliseconds data_timeout =
      state.settings.timeouts.data_minimum +
      milliseconds(1000 * (data.size() / std::max<std::size_t>(
                                             state.settings.timeouts.data_bytes_per_second, 1)));
  if (state.settings.trace) {
    trace(state, TraceDirection::Sent,
          fmt::format("<{} bytes of message data, longest line {}>", size, stuffer.longest_line()));
    trace(state, TraceDirection::Sent, ".");
  }
  auto written = co_await write_bytes(state, data, data_timeout);
  if (!written) co_return core::fail(written.error());
  auto final_reply = co_await read_reply(state, state.settings.timeouts.final_reply);
  if (!final_reply) co_return core::fail(final_reply.error());
  state.in_transaction = false;
  report.queue_id = queue_id_from(*final_reply);
  report.data_reply = std::move(*final_reply);
  co_return report;
}

}  // namespace

std::string default_helo_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host(name.data());
  for (unsigned char c : host) {
    if (!(std::isalnum(c) || c == '-' || c == '.')) return "localhost";
  }
  return host;
}

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}
Session::~Session() = default;

asio::awaitable<Result<std::unique_ptr<Session>>> Session::open(ClientSettings settings) {
  auto state = co_await open_state(std::move(settings));
  if (!state) co_return core::fail(state.error());
  co_return std::unique_ptr<Session>(new Session(std::move(*state)));
}

asio::awaitable<Result<sasl::Mechanism>> Session::authenticate(
    sasl::ClientCredentials credentials, std::vector<sasl::Mechanism> allowed) {
  auto outcome = co_await run_auth(*state_, std::move(credentials), std::move(allowed));
  co_return outcome;
}

asio::awaitable<Result<SendReport>> Session::send(Envelope envelope, std::string message) {
  auto outcome = co_await run_send(*state_, std::move(envelope), std::move(message));
  co_return outcome;
}

asio::awaitable<Result<void>> Session::reset() {
  if (state_->broken) {
    co_return core::fail(ErrorClass::Bug, "smtp.session_broken", "the SMTP session is broken");
  }
  auto outcome = co_await reset_state(*state_);
  co_return outcome;
}

asio::awaitable<void> Session::quit() {
  if (!state_->broken) {
    auto reply = co_await command(*state_, "QUIT");
    (void)reply;
  }
  state_->stream.close();
  state_->broken = true;
}

const EhloCapabilities& Session::capabilities() const {
  return state_->capabilities;
}
const Reply& Session::greeting() const {
  return state_->greeting;
}
bool Session::encrypted() const {
  return state_->stream.encrypted();
}
bool Session::broken() const {
  return state_->broken;
}
std::optional<net::PeerCertificate> Session::peer_certificate() const {
  return state_->stream.peer_certificate();
}
const std::string& Session::peer() const {
  return state_->stream.peer();
}

}  // namespace mailoauth::smtp
