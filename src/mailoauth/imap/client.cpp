// The IMAP client's session: a Stream, a ResponseParser, the tag counter, the
// capabilities and the examined mailbox, behind Client. Every command goes
// through run_command(): it sends the command in chunks (a chunk ends where a
// synchronising literal must wait for the server's "+"), reads until the
// tagged answer, hands untagged data to the command's handler after the
// session-wide bookkeeping (CAPABILITY, BYE, EXISTS/EXPUNGE), and turns a
// NO/BAD into an Error through command_error(). AUTHENTICATE has its own loop
// because its continuations carry the SASL dialogue.
//
// The coroutines are free functions taking the session by reference and
// everything else by value; results are named before co_return (g++ 12
// double-frees otherwise, see docs/ARCHITECTURE.md, net).
#include "mailoauth/imap/client.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/redact.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/date_time.hpp"
#include "mailoauth/imap/fetch_data.hpp"
#include "mailoauth/imap/quoting.hpp"
#include "mailoauth/sasl/bearer_failure.hpp"

namespace mailoauth::imap {

namespace {

using core::ErrorClass;
using Deadline = std::chrono::steady_clock::time_point;
using std::chrono::milliseconds;

constexpr std::size_t kReadSize = 64 * 1024;
// A received line longer than this is traced in pieces.
constexpr std::size_t kMaxTracedLine = 4096;

enum class TraceAs {
  Lines,        // each line through redact_wire_line
  Credentials,  // each line is a credential: only its size is shown
  Summary,      // literal data (a message): one line giving its size
};

// Bytes to send in one write; after it, wait for "+" when asked.
struct Chunk {
  core::Secret bytes;
  TraceAs trace = TraceAs::Lines;
  bool await_continuation = false;
};

// Builds a command's chunks. Text that holds a password is in `current_`
// for a moment, so it is wiped when the builder goes.
class CommandBuilder {
 public:
  CommandBuilder(bool literal_plus, bool literal_minus)
      : literal_plus_(literal_plus), literal_minus_(literal_minus) {}
  CommandBuilder(const CommandBuilder&) = delete;
  CommandBuilder& operator=(const CommandBuilder&) = delete;
  ~CommandBuilder() { core::secure_wipe(current_.data(), current_.size()); }

  void text(std::string_view text) { current_.append(text); }

  // The bytes of a literal, after its "{n}" or "{n+}" marker. Each literal
  // starts a chunk of its own, traced as `trace`, so a password or a message
  // never shares a traced line with the command.
  void literal(std::string_view bytes, TraceAs trace) {
    const bool plus = literal_plus_ || (literal_minus_ && bytes.size() <= 4096);
    current_ += fmt::format("{{{}{}}}\r\n", bytes.size(), plus ? "+" : "");
    cut(!plus);
    current_trace_ = trace;
    current_.append(bytes);
  }

  // An astring: atom or quoted in the line, or a literal.
  core::Result<void> astring(std::string_view value, TraceAs literal_trace) {
    auto quoted = quote_astring(value);
    if (!quoted) return core::fail(quoted.error());
    if (quoted->form == AstringForm::Literal) {
      literal(value, literal_trace);
    } else {
      text(quoted->wire);
    }
    return {};
  }
  core::Result<void> mailbox(std::string_view utf8_name) {
    auto encoded = quote_mailbox(utf8_name);
    if (!encoded) return core::fail(encoded.error());
    if (encoded->form == AstringForm::Literal) {
      const std::string_view wire = encoded->wire;
      literal(wire.substr(wire.find('\n') + 1), TraceAs::Lines);
    } else {
      text(encoded->wire);
    }
    return {};
  }

  std::vector<Chunk> finish() {
    current_ += "\r\n";
    cut(false);
    return std::move(chunks_);
  }

 private:
  void cut(bool await_continuation) {
    chunks_.push_back(
        {core::Secret::take(std::move(current_)), current_trace_, await_continuation});
    current_.clear();
  }

  bool literal_plus_;
  bool literal_minus_;
  std::string current_;
  TraceAs current_trace_ = TraceAs::Lines;
  std::vector<Chunk> chunks_;
};

// Dispatch of untagged data to the running command; an error stops it.
using UntaggedHandler = std::function<core::Result<void>(const Response&)>;

}  // namespace

struct Client::Impl {
  explicit Impl(ClientSettings s) : settings(std::move(s)), parser(settings.limits) {}

  ClientSettings settings;
  std::optional<net::Stream> stream;
  ResponseParser parser;
  Capabilities capabilities;
  Capabilities capabilities_before_tls;  // what the plain connection said (STARTTLS only)
  bool have_capabilities = false;
  bool authenticated = false;
  bool logging_out = false;
  std::optional<SelectedMailbox> selected;
  std::string greeting;
  std::uint64_t next_tag = 1;
  std::optional<Deadline> session_deadline;
  std::string received_partial;  // traced bytes not yet ending in LF

  CommandBuilder builder() const {
    const bool plus = settings.use_literal_plus && capabilities.has("LITERAL+");
    const bool minus = settings.use_literal_plus && capabilities.has("LITERAL-");
    return CommandBuilder(plus, minus);
  }

  void drop() {
    if (stream) stream->close();
    stream.reset();
    authenticated = false;
    selected.reset();
  }

  Deadline deadline_after(milliseconds timeout) const {
    Deadline deadline = std::chrono::steady_clock::now() + timeout;
    if (session_deadline && *session_deadline < deadline) deadline = *session_deadline;
    return deadline;
  }

  core::Error timeout_error(std::string_view what) const {
    if (session_deadline && std::chrono::steady_clock::now() >= *session_deadline) {
      return core::Error(
          ErrorClass::Temporary, "imap.session_timeout",
          fmt::format("the IMAP session with {}:{} did not finish within {} ms (while {})",
                      settings.host, settings.port, settings.session_timeout.count(), what),
          "the server or the network is slow or stuck; try again, or raise the timeout");
    }
    return core::Error(
        ErrorClass::Temporary, "imap.timeout",
        fmt::format("{}:{} did not answer in time (while {})", settings.host, settings.port, what),
        "the server or the network is slow or stuck; try again, or raise the "
        "timeout");
  }

  // What is left until `deadline`, or the timeout error.
  core::Result<milliseconds> time_left(Deadline deadline, std::string_view what) const {
    const auto left =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= milliseconds(0)) return core::fail(timeout_error(what));
    return left;
  }

  // A stream error, with net.timeout restated as the session's when that ran out.
  core::Error transport_error(core::Error error, std::string_view what) {
    drop();
    if (error.code() == "net.timeout") return timeout_error(what);
    return error;
  }

  void trace_sent(const Chunk& chunk) {
    if (!settings.trace) return;
    const std::string_view bytes = chunk.bytes.reveal();
    if (chunk.trace == TraceAs::Summary) {
      settings.trace(WireDirection::Sent, fmt::format("<literal {} bytes>", bytes.size()));
      return;
    }
    std::size_t begin = 0;
    while (begin < bytes.size()) {
      std::size_t end = bytes.find('\n', begin);
      if (end == std::string_view::npos) end = bytes.size();
      std::string_view line = bytes.substr(begin, end - begin);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      settings.trace(WireDirection::Sent,
                     core::redact_wire_line(line, chunk.trace == TraceAs::Credentials
                                                      ? core::WireContent::Credentials
                                                      : core::WireContent::Normal));
      begin = end + 1;
    }
  }

  void trace_received(std::string_view bytes) {
    if (!settings.trace) return;
    received_partial.append(bytes);
    std::size_t begin = 0;
    for (;;) {
      const std::size_t end = received_partial.find('\n', begin);
      if (end == std::string::npos) break;
      std::string_view line(received_partial.data() + begin, end - begin);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      settings.trace(WireDirection::Received, core::redact_wire_line(line));
      begin = end + 1;
    }
    received_partial.erase(0, begin);
    if (received_partial.size() > kMaxTracedLine) {
      settings.trace(WireDirection::Received, core::redact_wire_line(received_partial));
      received_partial.clear();
    }
  }

  void take_capabilities(const Response& response) {
    const bool carries =
        response.is_data("CAPABILITY") || (response.code && response.code->name == "CAPABILITY");
    if (!carries) return;
    auto parsed = capabilities_from(response);
    if (parsed) {
      capabilities = std::move(*parsed);
      have_capabilities = true;
    }
  }

  // Session bookkeeping for any untagged response; BYE ends the session.
  core::Result<void> on_untagged(const Response& response, std::string_view command) {
    if (response.status == Status::Bye && !logging_out) {
      const core::Error error = command_error(command, response);
      drop();
      return core::fail(error);
    }
    take_capabilities(response);
    if (selected) apply_to_selected(*selected, response);
    return {};
  }

  std::string tag() { return fmt::format("M{}", next_tag++); }
};

namespace {

core::Error not_connected() {
  return core::Error(ErrorClass::Temporary, "imap.not_connected",
                     "the IMAP connection is closed (an earlier error ended it)", "connect again");
}

core::Error protocol_error(std::string_view what) {
  return core::Error(ErrorClass::Permanent, "imap.bad_response",
                     fmt::format("the server broke the IMAP protocol: {}", what));
}

asio::awaitable<core::Result<void>> send_chunk(Client::Impl& impl, const Chunk& chunk,
                                               Deadline deadline, std::string what) {
  if (!impl.stream) co_return core::fail(not_connected());
  auto left = impl.time_left(deadline, what);
  if (!left) {
    impl.drop();
    co_return core::fail(left.error());
  }
  impl.trace_sent(chunk);
  auto written = co_await impl.stream->write(chunk.bytes.reveal(), *left);
  if (!written) co_return core::fail(impl.transport_error(written.error(), what));
  co_return core::Result<void>();
}

// The next complete response, reading as needed until `deadline`.
asio::awaitable<core::Result<Response>> read_response(Client::Impl& impl, Deadline deadline,
                                                      std::string what) {
  for (;;) {
    if (!impl.stream) co_return core::fail(not_connected());
    auto next = impl.parser.next();
    if (!next) {
      impl.drop();
      co_return core::fail(next.error());
    }
    if (*next) {
      Response response = std::move(**next);
      co_return response;
    }
    auto left = impl.time_left(deadline, what);
    if (!left) {
      impl.drop();
      co_return core::fail(left.error());
    }
    auto chunk = co_await impl.stream->read_some(kReadSize, *left);
    if (!chunk) co_return core::fail(impl.transport_error(chunk.error(), what));
    impl.trace_received(*chunk);
    auto fed = impl.parser.feed(*chunk);
    if (!fed) {
      impl.drop();
      co_return core::fail(fed.error());
    }
    if (*fed) {
      Response response = std::move(**fed);
      co_return response;
    }
  }
}

// Sends `chunks` (the tag is put in front) and reads up to the tagged answer.
// `name` says what the command is in errors, `mailbox` what it was about.
// With `idle_deadline` the command deadline restarts at every untagged
// response (long FETCH streams).
asio::awaitable<core::Result<Response>> run_command(Client::Impl& impl, std::string name,
                                                    std::vector<Chunk> chunks,
                                                    UntaggedHandler handler, std::string mailbox,
                                                    bool idle_deadline) {
  if (!impl.stream) co_return core::fail(not_connected());
  const std::string tag = impl.tag();
  {
    std::string first = tag + " ";
    first.append(chunks.front().bytes.reveal());
    chunks.front().bytes = core::Secret::take(std::move(first));
  }
  Deadline deadline = impl.deadline_after(impl.settings.command_timeout);
  const std::string what = fmt::format("waiting for the answer to {}", name);
  std::optional<core::Error> handler_error;
  for (std::size_t i = 0; i <= chunks.size(); ++i) {
    const bool sending = i < chunks.size();
    if (sending) {
      auto sent = co_await send_chunk(impl, chunks[i], deadline, fmt::format("sending {}", name));
      if (!sent) co_return core::fail(sent.error());
      if (!chunks[i].await_continuation) continue;
    }
    // Read until "+" (a synchronising literal may follow) or the tagged answer.
    for (;;) {
      auto response = co_await read_response(impl, deadline, what);
      if (!response) co_return core::fail(response.error());
      if (response->kind == ResponseKind::Continuation) {
        if (sending) break;
        impl.drop();
        co_return core::fail(protocol_error(fmt::format("an unexpected \"+\" during {}", name)));
      }
      if (response->kind == ResponseKind::Untagged) {
        auto noted = impl.on_untagged(*response, name);
        if (!noted) co_return core::fail(noted.error());
        if (handler && !handler_error) {
          auto handled = handler(*response);
          if (!handled) handler_error = handled.error();
        }
        if (idle_deadline) deadline = impl.deadline_after(impl.settings.command_timeout);
        continue;
      }
      if (response->tag != tag) {
        impl.drop();
        co_return core::fail(
            protocol_error(fmt::format("a tagged answer for \"{}\" while waiting for {}",
                                       core::escape_control_characters(response->tag), tag)));
      }
      impl.take_capabilities(*response);
      if (response->status != Status::Ok) {
        co_return core::fail(command_error(name, *response, mailbox));
      }
      if (sending) {
        impl.drop();
        co_return core::fail(protocol_error(fmt::format("OK before the literal of {}", name)));
      }
      if (handler_error) co_return core::fail(*handler_error);
      co_return std::move(*response);
    }
  }
  co_return core::fail(
      core::Error(ErrorClass::Bug, "imap.unreachable", "run_command fell through"));
}

// A command that is one plain line.
std::vector<Chunk> one_line(std::string text) {
  std::vector<Chunk> chunks;
  chunks.push_back({core::Secret::take(text + "\r\n"), TraceAs::Lines, false});
  return chunks;
}

asio::awaitable<core::Result<Capabilities>> request_capabilities(Client::Impl& impl) {
  impl.have_capabilities = false;
  auto answer = co_await run_command(impl, "CAPABILITY", one_line("CAPABILITY"), {}, {}, false);
  if (!answer) co_return core::fail(answer.error());
  if (!impl.have_capabilities) {
    co_return core::fail(protocol_error("no CAPABILITY data in the answer to CAPABILITY"));
  }
  Capabilities capabilities = impl.capabilities;
  co_return capabilities;
}

asio::awaitable<core::Result<void>> connect_session(Client::Impl& impl) {
  const auto& settings = impl.settings;
  impl.drop();
  impl.parser = ResponseParser(settings.limits);
  impl.have_capabilities = false;
  impl.logging_out = false;
  impl.session_deadline.reset();
  if (settings.session_timeout > milliseconds(0)) {
    impl.session_deadline = std::chrono::steady_clock::now() + settings.session_timeout;
  }
  const Deadline deadline = impl.deadline_after(settings.connect_timeout);
  auto left = impl.time_left(deadline, "connecting");
  if (!left) co_return core::fail(left.error());
  auto stream =
      co_await net::Stream::connect(settings.host, settings.port, settings.net_type, *left);
  if (!stream) co_return core::fail(impl.transport_error(stream.error(), "connecting"));
  impl.stream.emplace(std::move(*stream));
  if (settings.tls_mode == TlsMode::Implicit) {
    left = impl.time_left(deadline, "the TLS handshake");
    if (!left) co_return core::fail(impl.transport_error(left.error(), "the TLS handshake"));
    auto tls = co_await impl.stream->start_tls(settings.tls, *left);
    if (!tls) co_return core::fail(impl.transport_error(tls.error(), "the TLS handshake"));
  }
  auto greeting = co_await read_response(impl, deadline, "waiting for the greeting");
  if (!greeting) co_return core::fail(greeting.error());
  impl.greeting = core::escape_control_characters(greeting->text);
  if (greeting->kind != ResponseKind::Untagged ||
      (greeting->status != Status::Ok && greeting->status != Status::Preauth &&
       greeting->status != Status::Bye)) {
    impl.drop();
    co_return core::fail(protocol_error("the greeting is not * OK, * PREAUTH or * BYE"));
  }
  if (greeting->status == Status::Bye) {
    const core::Error error = command_error("the greeting", *greeting);
    impl.drop();
    co_return core::fail(error);
  }
  const bool preauthenticated = greeting->status == Status::Preauth;
  impl.take_capabilities(*greeting);
  if (settings.tls_mode == TlsMode::StartTls) {
    if (preauthenticated) {
      impl.drop();
      co_return core::fail(
          ErrorClass::Permanent, "imap.preauth_before_starttls",
          "the server sent PREAUTH on the plain connection, so STARTTLS is impossible; refusing "
          "to go on without TLS",
          "use the implicit TLS port (993)");
    }
    if (!impl.have_capabilities) {
      auto capabilities = co_await request_capabilities(impl);
      if (!capabilities) co_return core::fail(capabilities.error());
    }
    if (!impl.capabilities.has("STARTTLS")) {
      impl.drop();
      co_return core::fail(ErrorClass::Config, "imap.starttls_not_offered",
                           fmt::format("{}:{} does not offer STARTTLS; refusing to log in "
                                       "without TLS",
                                       settings.host, settings.port),
                           "use the implicit TLS port (993) without --starttls, or enable "
                           "STARTTLS on the server");
    }
    auto answer = co_await run_command(impl, "STARTTLS", one_line("STARTTLS"), {}, {}, false);
    if (!answer) co_return core::fail(answer.error());
    if (impl.parser.buffered() > 0) {
      impl.drop();
      co_return core::fail(ErrorClass::Permanent, "net.starttls_injection",
                           fmt::format("{}:{} sent data after its STARTTLS answer; refusing to go "
                                       "on (possible STARTTLS command injection)",
                                       settings.host, settings.port),
                           "report it to the server's operator");
    }
    left = impl.time_left(impl.deadline_after(settings.connect_timeout), "the TLS handshake");
    if (!left) co_return core::fail(impl.transport_error(left.error(), "the TLS handshake"));
    auto tls = co_await impl.stream->start_tls(settings.tls, *left);
    if (!tls) co_return core::fail(impl.transport_error(tls.error(), "the TLS handshake"));
    // What was said before TLS may have been forged by anyone in between: kept
    // for display (lsimap) only, never used.
    impl.capabilities_before_tls = std::move(impl.capabilities);
    impl.capabilities = {};
    impl.have_capabilities = false;
  }
  if (!impl.have_capabilities) {
    auto capabilities = co_await request_capabilities(impl);
    if (!capabilities) co_return core::fail(capabilities.error());
  }
  impl.authenticated = preauthenticated;
  co_return core::Result<void>();
}

// After LOGIN/AUTHENTICATE: the capabilities from the OK's code, or asked
// for. Asking is also what reveals Exchange's "authenticated but not
// connected", which only the next command shows.
asio::awaitable<core::Result<void>> after_login(Client::Impl& impl, bool from_code) {
  impl.authenticated = true;
  if (from_code) co_return core::Result<void>();
  auto capabilities = co_await request_capabilities(impl);
  if (!capabilities) co_return core::fail(capabilities.error());
  co_return core::Result<void>();
}

bool has_capability_code(const Response& response) {
  return response.code && response.code->name == "CAPABILITY";
}

asio::awaitable<core::Result<void>> login_session(Client::Impl& impl, std::string user,
                                                  core::Secret password) {
  if (!impl.stream) co_return core::fail(not_connected());
  if (impl.capabilities.login_disabled()) {
    co_return core::fail(
        ErrorClass::Config, "imap.login_disabled",
        fmt::format("{}:{} advertises LOGINDISABLED: it does not accept a password with LOGIN",
                    impl.settings.host, impl.settings.port),
        impl.capabilities.auth_mechanisms().empty()
            ? "use OAuth2 (XOAUTH2) or another server"
            : fmt::format("use AUTHENTICATE (the server offers {}), e.g. OAuth2 with XOAUTH2",
                          fmt::join(impl.capabilities.auth_mechanisms(), ", ")));
  }
  CommandBuilder command = impl.builder();
  command.text("LOGIN ");
  auto quoted_user = command.astring(user, TraceAs::Credentials);
  if (!quoted_user) co_return core::fail(quoted_user.error());
  command.text(" ");
  auto quoted_password = quote_secret_astring(password);
  if (!quoted_password) co_return core::fail(quoted_password.error());
  if (quoted_password->form == AstringForm::Literal) {
    command.literal(password.reveal(), TraceAs::Credentials);
  } else {
    command.text(quoted_password->wire.reveal());
  }
  auto answer = co_await run_command(impl, "LOGIN", command.finish(), {}, {}, false);
  if (!answer) {
    core::Error error = answer.error();
    if (error.code() == error_code::kAuthenticationFailed) {
      error.context(fmt::format("LOGIN as {}", core::escape_control_characters(user)));
    }
    co_return core::fail(error);
  }
  auto done = co_await after_login(impl, has_capability_code(*answer));
  co_return done;
}

asio::awaitable<core::Result<void>> authenticate_session(Client::Impl& impl,
                                                         sasl::Mechanism mechanism,
                                                         sasl::ClientCredentials credentials) {
  if (!impl.stream) co_return core::fail(not_connected());
  const std::string name(sasl::wire_name(mechanism));
  const std::string command_name = "AUTHENTICATE " + name;
  const std::string user = core::escape_control_characters(credentials.user);
  if (!impl.capabilities.offers_mechanism(name)) {
    co_return core::fail(
        ErrorClass::Config, "imap.mechanism_not_offered",
        fmt::format("{}:{} does not offer AUTH={} (it offers: {})", impl.settings.host,
                    impl.settings.port, name,
                    impl.capabilities.auth_mechanisms().empty()
                        ? std::string("none")
                        : fmt::format("{}", fmt::join(impl.capabilities.auth_mechanisms(), " "))),
        "choose an offered mechanism, or check that the server is the right one");
  }
  auto made = sasl::make_client_mechanism(mechanism, std::move(credentials));
  if (!made) co_return core::fail(made.error());
  auto& client = **made;
  auto initial = client.initial_response();
  if (!initial) co_return core::fail(initial.error());

  const std::string tag = impl.tag();
  std::optional<core::Secret> pending;  // initial response waiting for the first "+"
  std::string line = fmt::format("{} AUTHENTICATE {}", tag, name);
  if (*initial) {
    core::Secret encoded = core::Secret::take(core::base64::encode((*initial)->reveal()));
    const bool fits =
        line.size() + 1 + std::max<std::size_t>(encoded.size(), 1) + 2 <= kMaxInlineCommandLine;
    if (impl.settings.use_sasl_ir && impl.capabilities.sasl_ir() && fits) {
      line += " ";
      line += encoded.empty() ? std::string_view("=") : encoded.reveal();
    } else {
      pending = std::move(encoded);
    }
  }
  line += "\r\n";
  // Lines: redact_wire_line hides the initial response after the mechanism.
  const Chunk command{core::Secret::take(std::move(line)), TraceAs::Lines, false};
  Deadline deadline = impl.deadline_after(impl.settings.command_timeout);
  const std::string what = fmt::format("waiting for the answer to {}", command_name);
  auto sent = co_await send_chunk(impl, command, deadline, command_name);
  if (!sent) co_return core::fail(sent.error());
  std::optional<core::Error> client_error;  // our side gave up (cancelled with "*")
  int continuations = 0;
  std::size_t largest_response = line.size();
  bool capabilities_in_answer = false;
  for (;;) {
    auto response = co_await read_response(impl, deadline, what);
    if (!response) {
      if (response.error().code() == "net.closed" && largest_response > kMaxInlineCommandLine) {
        // Dovecot 2.3 hangs up without a word on a SASL response over 8192
        // bytes ("Authentication response too large" in its log only).
        co_return core::fail(
            ErrorClass::Permanent, "imap.sasl_response_too_long",
            fmt::format("the server closed the connection after a SASL response of {} bytes "
                        "({} for {})",
                        largest_response, command_name, user),
            "the token is too large for this server (Dovecot accepts 8192 base64 bytes); "
            "request a token with fewer claims, or raise the server's limit");
      }
      co_return core::fail(response.error());
    }
    if (response->kind == ResponseKind::Untagged) {
      auto noted = impl.on_untagged(*response, command_name);
      if (!noted) co_return core::fail(noted.error());
      continue;
    }
    if (response->kind == ResponseKind::Continuation) {
      if (++continuations > 8) {
        impl.drop();
        co_return core::fail(protocol_error("more than 8 SASL challenges"));
      }
      Chunk answer;
      answer.trace = TraceAs::Credentials;
      if (pending) {
        answer.bytes = core::Secret::take(std::string(pending->reveal()) + "\r\n");
        pending.reset();
      } else {
        auto challenge = core::base64::decode(response->text);
        core::Result<core::Secret> reply =
            challenge ? client.respond(*challenge)
                      : core::Result<core::Secret>(core::fail(protocol_error("a challenge that is "
                                                                             "not base64")));
        if (reply) {
          std::string encoded = core::base64::encode(reply->reveal());
          answer.bytes = core::Secret::take(encoded + "\r\n");
          core::secure_wipe(encoded.data(), encoded.size());
        } else {
          client_error = reply.error();
          answer.bytes = core::Secret("*\r\n");  // cancel (RFC 3501 6.2.2)
          answer.trace = TraceAs::Lines;
        }
      }
      largest_response = std::max(largest_response, answer.bytes.size());
      auto replied = co_await send_chunk(impl, answer, deadline, command_name);
      if (!replied) co_return core::fail(replied.error());
      continue;
    }
    if (response->tag != tag) {
      impl.drop();
      co_return core::fail(protocol_error("a tagged answer with another tag during AUTHENTICATE"));
    }
    impl.take_capabilities(*response);
    if (response->status != Status::Ok) {
      core::Error error = command_error(command_name, *response);
      error.context(fmt::format("logging in as {}", user));
      if (client.failure()) {
        error = core::Error(error.error_class(), error.code(),
                            fmt::format("{}; the server's challenge said: {}", error.message(),
                                        sasl::describe(*client.failure())),
                            error.remedy());
      }
      if (client_error) {
        error = core::Error(client_error->error_class(), client_error->code(),
                            fmt::format("{} (the exchange was cancelled; the server then said "
                                        "{})",
                                        client_error->message(), server_words(*response)));
      }
      co_return core::fail(error);
    }
    if (client_error) co_return core::fail(*client_error);
    capabilities_in_answer = has_capability_code(*response);
    break;
  }
  // Without capabilities in the OK (Exchange sends none), asking for them is
  // the next command, which is where "authenticated but not connected" shows.
  auto done = co_await after_login(impl, capabilities_in_answer);
  if (!done && done.error().code() == error_code::kAuthenticatedNotConnected) {
    core::Error error = done.error();
    error.context(fmt::format("AUTHENTICATE {} as {} succeeded, but", name, user));
    co_return core::fail(error);
  }
  co_return done;
}

asio::awaitable<core::Result<IdFields>> id_session(Client::Impl& impl, IdFields ours) {
  if (!impl.capabilities.has("ID")) {
    co_return core::fail(ErrorClass::Permanent, "imap.not_advertised",
                         "the server does not advertise ID (RFC 2971)");
  }
  CommandBuilder command = impl.builder();
  command.text("ID ");
  if (ours.empty()) {
    command.text("NIL");
  } else {
    command.text("(");
    for (std::size_t i = 0; i < ours.size(); ++i) {
      if (i > 0) command.text(" ");
      auto key = quote_astring(ours[i].first);
      auto value = quote_astring(ours[i].second);
      if (!key || key->form == AstringForm::Literal || !value ||
          value->form == AstringForm::Literal) {
        co_return core::fail(ErrorClass::Config, "imap.bad_id",
                             "ID fields must be printable ASCII");
      }
      // ID wants strings: an atom is quoted as well.
      command.text(key->form == AstringForm::Atom ? "\"" + key->wire + "\"" : key->wire);
      command.text(" ");
      command.text(value->form == AstringForm::Atom ? "\"" + value->wire + "\"" : value->wire);
    }
    command.text(")");
  }
  IdFields theirs;
  auto handler = [&theirs](const Response& response) -> core::Result<void> {
    if (!response.is_data("ID") || response.values.empty() || !response.values[0].is_list()) {
      return {};
    }
    const auto& list = response.values[0].list;
    for (std::size_t i = 0; i + 1 < list.size(); i += 2) {
      const auto key = list[i].as_astring();
      const auto value = list[i + 1].as_nstring();
      if (key && value) theirs.emplace_back(std::string(*key), std::string(value->value_or("")));
    }
    return {};
  };
  auto answer = co_await run_command(impl, "ID", command.finish(), handler, {}, false);
  if (!answer) co_return core::fail(answer.error());
  co_return theirs;
}

asio::awaitable<core::Result<std::vector<ListEntry>>> list_session(Client::Impl& impl,
                                                                   std::string reference,
                                                                   std::string pattern) {
  CommandBuilder command = impl.builder();
  command.text("LIST ");
  auto quoted = command.mailbox(reference);
  if (!quoted) co_return core::fail(quoted.error());
  command.text(" ");
  quoted = command.mailbox(pattern);
  if (!quoted) co_return core::fail(quoted.error());
  std::vector<ListEntry> entries;
  auto handler = [&entries](const Response& response) -> core::Result<void> {
    if (!response.is_data("LIST")) return {};
    auto entry = parse_list(response);
    if (!entry) return core::fail(entry.error());
    entries.push_back(std::move(*entry));
    return {};
  };
  auto answer = co_await run_command(impl, "LIST", command.finish(), handler, {}, false);
  if (!answer) co_return core::fail(answer.error());
  co_return entries;
}

asio::awaitable<core::Result<MailboxStatus>> status_session(Client::Impl& impl,
                                                            std::string mailbox) {
  CommandBuilder command = impl.builder();
  command.text("STATUS ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  command.text(" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)");
  std::optional<MailboxStatus> found;
  auto handler = [&found](const Response& response) -> core::Result<void> {
    if (!response.is_data("STATUS")) return {};
    auto status = parse_status(response);
    if (!status) return core::fail(status.error());
    found = std::move(*status);
    return {};
  };
  auto answer = co_await run_command(impl, "STATUS", command.finish(), handler, mailbox, false);
  if (!answer) co_return core::fail(answer.error());
  if (!found) co_return core::fail(protocol_error("STATUS answered OK without STATUS data"));
  found->name = mailbox;
  co_return std::move(*found);
}

// CREATE or DELETE of one mailbox (tests and tools make folders of their own).
asio::awaitable<core::Result<void>> mailbox_session(Client::Impl& impl, std::string verb,
                                                    std::string mailbox) {
  CommandBuilder command = impl.builder();
  command.text(verb + " ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  auto handler = [](const Response&) -> core::Result<void> { return {}; };
  auto answer = co_await run_command(impl, verb, command.finish(), handler, mailbox, false);
  if (!answer) co_return core::fail(answer.error());
  co_return core::Result<void>();
}

asio::awaitable<core::Result<SelectedMailbox>> examine_session(Client::Impl& impl,
                                                               std::string mailbox) {
  CommandBuilder command = impl.builder();
  command.text("EXAMINE ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  impl.selected = SelectedMailbox{};
  impl.selected->name = mailbox;
  auto answer = co_await run_command(impl, "EXAMINE", command.finish(), {}, mailbox, false);
  if (!answer) {
    impl.selected.reset();  // a failed SELECT/EXAMINE leaves no mailbox selected
    co_return core::fail(answer.error());
  }
  if (!impl.selected) co_return core::fail(not_connected());
  apply_to_selected(*impl.selected, *answer);
  SelectedMailbox selected = *impl.selected;
  co_return selected;
}

core::Result<void> check_command_text(std::string_view what, std::string_view text) {
  if (text.empty() || text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return core::fail(ErrorClass::Config, "imap.bad_argument",
                      fmt::format("the {} must be one line of text, and not empty", what));
  }
  return {};
}

void add_uids(SearchResult& result, std::vector<std::uint64_t>& found, bool want_uids) {
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  result.count += found.size();
  if (found.empty()) return;
  result.min_uid = result.min_uid ? std::min(*result.min_uid, found.front()) : found.front();
  result.max_uid = result.max_uid ? std::max(*result.max_uid, found.back()) : found.back();
  if (!want_uids) return;
  for (const std::uint64_t uid : found) {
    if (!result.uids.empty() && result.uids.back().last + 1 == uid) {
      result.uids.back().last = uid;
    } else {
      result.uids.push_back({uid, uid});
    }
  }
}

asio::awaitable<core::Result<SearchResult>> search_session(Client::Impl& impl, std::string criteria,
                                                           bool want_uids) {
  auto checked = check_command_text("search criteria", criteria);
  if (!checked) co_return core::fail(checked.error());
  if (!impl.selected) {
    co_return core::fail(ErrorClass::Bug, "imap.no_mailbox", "UID SEARCH before EXAMINE");
  }
  SearchResult result;
  if (impl.settings.use_esearch && impl.capabilities.has("ESEARCH")) {
    std::optional<ExtendedSearch> found;
    auto handler = [&found](const Response& response) -> core::Result<void> {
      if (!response.is_data("ESEARCH")) return {};
      auto parsed = parse_esearch(response);
      if (!parsed) return core::fail(parsed.error());
      found = std::move(*parsed);
      return {};
    };
    const std::string line =
        fmt::format("UID SEARCH RETURN (MIN MAX COUNT{}) {}", want_uids ? " ALL" : "", criteria);
    auto answer = co_await run_command(impl, "UID SEARCH", one_line(line), handler, {}, false);
    if (!answer) co_return core::fail(answer.error());
    if (found) {  // no ESEARCH response at all means nothing matched
      result.count = found->count.value_or(0);
      result.min_uid = found->min;
      result.max_uid = found->max;
      result.uids = std::move(found->all);
    }
    co_return result;
  }
  // Plain SEARCH: windows of UIDs, so one answer stays one bounded line.
  std::vector<std::string> windows;
  const auto uidnext = impl.selected->uidnext;
  if (uidnext && impl.settings.search_window > 0) {
    for (std::uint64_t low = 1; low < *uidnext; low += impl.settings.search_window) {
      const std::uint64_t high = std::min(*uidnext - 1, low + impl.settings.search_window - 1);
      windows.push_back(fmt::format("UID SEARCH UID {}:{} {}", low, high, criteria));
    }
  } else {
    windows.push_back("UID SEARCH " + criteria);
  }
  for (const auto& line : windows) {
    std::vector<std::uint64_t> found;
    auto handler = [&found](const Response& response) -> core::Result<void> {
      if (!response.is_data("SEARCH")) return {};
      auto parsed = parse_search(response);
      if (!parsed) return core::fail(parsed.error());
      found.insert(found.end(), parsed->begin(), parsed->end());
      return {};
    };
    auto answer = co_await run_command(impl, "UID SEARCH", one_line(line), handler, {}, false);
    if (!answer) co_return core::fail(answer.error());
    add_uids(result, found, want_uids);
  }
  co_return result;
}

std::string fetch_items(const FetchRequest& request) {
  std::string items = "UID";
  if (request.flags) items += " FLAGS";
  if (request.internal_date) items += " INTERNALDATE";
  if (request.size) items += " RFC822.SIZE";
  if (request.envelope) items += " ENVELOPE";
  if (!request.header_fields.empty()) {
    items += fmt::format(" BODY.PEEK[HEADER.FIELDS ({})]", fmt::join(request.header_fields, " "));
  }
  return items;
}

core::Result<FetchedMessage> to_message(const FetchData& data) {
  FetchedMessage message;
  message.sequence_number = data.sequence_number;
  message.uid = data.uid().value_or(0);
  message.flags = data.flags();
  message.internal_date = data.internal_date();
  if (message.internal_date) {
    auto parsed = parse_internal_date(*message.internal_date);
    if (parsed) message.received_at = *parsed;
  }
  message.size = data.rfc822_size();
  if (const Value* envelope = data.envelope()) {
    auto parsed = parse_envelope(*envelope);
    if (!parsed) return core::fail(parsed.error());
    message.envelope = std::move(*parsed);
  }
  for (const auto& [name, value] : data.items) {
    if (!core::istarts_with(name, "BODY[HEADER.FIELDS")) continue;
    const auto text = value.as_nstring();
    if (text && *text) message.header_fields = std::string(**text);
  }
  return message;
}

asio::awaitable<core::Result<std::uint64_t>> fetch_session(Client::Impl& impl, std::string uid_set,
                                                           FetchRequest request,
                                                           FetchCallback callback) {
  if (uid_set.empty() || uid_set.find_first_not_of("0123456789:,*") != std::string::npos) {
    co_return core::fail(ErrorClass::Config, "imap.bad_argument",
                         "a UID set is digits, ':', ',' and '*' (\"1:*\", \"4,7:9\")");
  }
  for (const auto& field : request.header_fields) {
    auto checked = check_command_text("header field name", field);
    if (!checked) co_return core::fail(checked.error());
    if (field.find_first_of(" ()[]\"") != std::string::npos) {
      co_return core::fail(ErrorClass::Config, "imap.bad_argument",
                           "a header field name has no spaces, brackets or quotes");
    }
  }
  std::uint64_t delivered = 0;
  auto handler = [&](const Response& response) -> core::Result<void> {
    if (!response.is_data("FETCH")) return {};
    auto data = parse_fetch(response);
    if (!data) return core::fail(data.error());
    if (!data->uid()) return {};  // an unsolicited flag update, not an answer
    auto message = to_message(*data);
    if (!message) return core::fail(message.error());
    ++delivered;
    return callback(std::move(*message));
  };
  const std::string line = fmt::format("UID FETCH {} ({})", uid_set, fetch_items(request));
  auto answer = co_await run_command(impl, "UID FETCH", one_line(line), handler, {}, true);
  if (!answer) co_return core::fail(answer.error());
  co_return delivered;
}

asio::awaitable<core::Result<AppendResult>> append_session(Client::Impl& impl, std::string mailbox,
                                                           std::string message,
                                                           AppendOptions options) {
  CommandBuilder command = impl.builder();
  command.text("APPEND ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  if (!options.flags.empty()) {
    for (const auto& flag : options.flags) {
      if (flag.empty() || flag.find_first_of(" ()[]{}\"%*\r\n") != std::string::npos) {
        co_return core::fail(
            ErrorClass::Config, "imap.bad_argument",
            fmt::format("\"{}\" is not a flag", core::escape_control_characters(flag)));
      }
    }
    command.text(fmt::format(" ({})", fmt::join(options.flags, " ")));
  }
  if (options.internal_date) {
    command.text(fmt::format(" \"{}\"", format_internal_date(*options.internal_date)));
  }
  command.text(" ");
  command.literal(message, TraceAs::Summary);
  auto answer = co_await run_command(impl, "APPEND", command.finish(), {}, mailbox, false);
  if (!answer) co_return core::fail(answer.error());
  AppendResult result;
  if (answer->code && answer->code->name == "APPENDUID" && answer->code->arguments.size() >= 2 &&
      answer->code->arguments[0].kind == Value::Kind::Number &&
      answer->code->arguments[1].kind == Value::Kind::Number) {
    result.uidvalidity = answer->code->arguments[0].number;
    result.uid = answer->code->arguments[1].number;
  }
  co_return result;
}

asio::awaitable<core::Result<void>> logout_session(Client::Impl& impl) {
  if (!impl.stream) co_return core::Result<void>();
  impl.logging_out = true;
  auto answer = co_await run_command(impl, "LOGOUT", one_line("LOGOUT"), {}, {}, false);
  impl.drop();
  if (!answer && answer.error().code() != "net.closed") co_return core::fail(answer.error());
  co_return core::Result<void>();
}

}  // namespace

Client::Client(ClientSettings settings) : impl_(std::make_unique<Impl>(std::move(settings))) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

asio::awaitable<core::Result<void>> Client::connect() {
  auto result = co_await connect_session(*impl_);
  co_return result;
}

asio::awaitable<core::Result<Capabilities>> Client::capability() {
  auto result = co_await request_capabilities(*impl_);
  co_return result;
}

asio::awaitable<core::Result<IdFields>> Client::id(IdFields ours) {
  auto result = co_await id_session(*impl_, std::move(ours));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::login(std::string user, core::Secret password) {
  auto result = co_await login_session(*impl_, std::move(user), std::move(password));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::authenticate(sasl::Mechanism mechanism,
                                                         sasl::ClientCredentials credentials) {
  auto result = co_await authenticate_session(*impl_, mechanism, std::move(credentials));
  co_return result;
}

asio::awaitable<core::Result<std::vector<ListEntry>>> Client::list(std::string reference,
                                                                   std::string pattern) {
  auto result = co_await list_session(*impl_, std::move(reference), std::move(pattern));
  co_return result;
}

asio::awaitable<core::Result<MailboxStatus>> Client::status(std::string mailbox) {
  auto result = co_await status_session(*impl_, std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::create(std::string mailbox) {
  auto result = co_await mailbox_session(*impl_, "CREATE", std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::delete_mailbox(std::string mailbox) {
  auto result = co_await mailbox_session(*impl_, "DELETE", std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<SelectedMailbox>> Client::examine(std::string mailbox) {
  auto result = co_await examine_session(*impl_, std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<SearchResult>> Client::uid_search(std::string criteria,
                                                               bool want_uids) {
  auto result = co_await search_session(*impl_, std::move(criteria), want_uids);
  co_return result;
}

asio::awaitable<core::Result<std::uint64_t>> Client::uid_fetch(std::string uid_set,
                                                               FetchRequest request,
                                                               FetchCallback callback) {
  auto result =
      co_await fetch_session(*impl_, std::move(uid_set), std::move(request), std::move(callback));
  co_return result;
}

asio::awaitable<core::Result<AppendResult>> Client::append(std::string mailbox, std::string message,
                                                           AppendOptions options) {
  auto result =
      co_await append_session(*impl_, std::move(mailbox), std::move(message), std::move(options));
  co_return result;
}

asio::awaitable<core::Result<void>> Client::logout() {
  auto result = co_await logout_session(*impl_);
  co_return result;
}

const Capabilities& Client::capabilities() const {
  return impl_->capabilities;
}
const Capabilities& Client::capabilities_before_tls() const {
  return impl_->capabilities_before_tls;
}
bool Client::connected() const {
  return impl_->stream.has_value();
}
bool Client::authenticated() const {
  return impl_->stream && impl_->authenticated;
}
const SelectedMailbox* Client::selected() const {
  return impl_->selected ? &*impl_->selected : nullptr;
}
const std::string& Client::greeting() const {
  return impl_->greeting;
}
std::optional<net::PeerCertificate> Client::peer_certificate() const {
  if (!impl_->stream) return std::nullopt;
  return impl_->stream->peer_certificate();
}
void Client::close() {
  impl_->drop();
}

}  // namespace mailoauth::imap
