// The SMTP client's connection: connect, TLS at once for implicit TLS, the
// 220 greeting, EHLO (HELO after 500/502), STARTTLS — refused when not
// offered and when the server says more after its 220 (RFC 3207 4.2) — and
// EHLO again over TLS with everything from plain text forgotten; RSET and
// QUIT. The EHLO name is checked by command_line before the first byte goes
// out, so a `--helo` with a line break never reaches the wire.
#include <array>
#include <cctype>

#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/smtp/client_state.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;
using core::Result;

namespace {

// EHLO, or HELO when the server does not know EHLO (500/502, RFC 5321 4.1.4).
asio::awaitable<Result<void>> hello(Session::State& state) {
  const std::string name =
      state.settings.helo_name.empty() ? default_helo_name() : state.settings.helo_name;
  auto ehlo_line = hello_command("EHLO", name);
  if (!ehlo_line) co_return core::fail(ehlo_line.error());
  auto ehlo = co_await command(state, std::move(*ehlo_line));
  if (!ehlo) co_return core::fail(ehlo.error());
  if (ehlo->code == 250) {
    // The first line is the greeting; parse_ehlo_capabilities keeps it apart.
    state.capabilities = parse_ehlo_capabilities(ehlo->lines);
    co_return Result<void>();
  }
  if (ehlo->code != 500 && ehlo->code != 502) {
    co_return core::fail(explain_reply(*ehlo, "EHLO"));
  }
  auto helo = co_await command(state, *hello_command("HELO", name));
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
        "check the port and the TLS mode: 587 and 25 take STARTTLS, 465 takes implicit TLS; "
        "only a local test server without TLS justifies the TLS mode none");
  }
  auto reply = co_await command(state, simple_command(Verb::StartTls));
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
  auto tls =
      co_await state.stream.start_tls(state.settings.tls_context, state.settings.timeouts.command);
  if (!tls) co_return core::fail(broke(state, tls.error()));
  // RFC 3207 4.2: forget everything learnt in plain text.
  state.parser = ReplyParser(state.settings.limits);
  state.capabilities = EhloCapabilities{};
  auto again = co_await hello(state);
  co_return again;
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<Session::State>>> open_state(ClientSettings settings) {
  // A bad EHLO name is the caller's mistake: say so before connecting at all.
  if (!settings.helo_name.empty()) {
    auto checked = hello_command("EHLO", settings.helo_name);
    if (!checked) co_return core::fail(checked.error());
  }
  if (!settings.tls_context && settings.security != Security::None) {
    auto context = net::TlsContext::client(settings.tls);  // a bad CA file: before connecting
    if (!context) co_return core::fail(context.error());
    settings.tls_context = std::move(*context);
  }
  auto connected = co_await net::Stream::connect(settings.host, settings.port, settings.net_type,
                                                 settings.timeouts.connect);
  if (!connected) co_return core::fail(connected.error());
  auto state = std::make_unique<Session::State>(std::move(*connected), std::move(settings));
  if (state->settings.security == Security::Implicit) {
    auto tls = co_await state->stream.start_tls(state->settings.tls_context,
                                                state->settings.timeouts.connect);
    if (!tls) co_return core::fail(tls.error());
  }
  auto greeting = co_await read_reply(*state, state->settings.timeouts.greeting, "the greeting");
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

asio::awaitable<Result<void>> reset_state(Session::State& state) {
  auto reply = co_await command(state, simple_command(Verb::Rset));
  if (!reply) co_return core::fail(reply.error());
  if (reply->code != 250) {
    core::Error error = explain_reply(*reply, "RSET");
    co_return core::fail(broke(state, std::move(error)));
  }
  state.in_transaction = false;
  co_return Result<void>();
}

asio::awaitable<void> quit_state(Session::State& state) {
  if (!state.broken) {
    auto reply = co_await command(state, simple_command(Verb::Quit));
    (void)reply;
  }
  state.stream.close();
  state.broken = true;
}

std::string default_helo_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host(name.data());
  for (unsigned char c : host) {
    if (!(std::isalnum(c) || c == '-' || c == '.')) return "localhost";
  }
  return host;
}

}  // namespace mailoauth::smtp
