// The SMTP client's AUTH (RFC 4954): the first mechanism of the caller's list
// that the server offers, never over an unencrypted connection unless
// allowed, the initial response inline only when the line fits in 512
// octets, and the bearer failure challenge (334 + JSON) answered as each
// mechanism requires, so a refused token ends in the server's 535 and never
// in a hang; at most six steps. The identity and the token are checked by
// sasl (no CR, LF, NUL or 0x01) and every line written passes
// check_auth_line, so AUTH cannot carry a second command either.
#include <fmt/format.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/smtp/auth_command.hpp"
#include "mailoauth/smtp/client_state.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"

namespace mailoauth::smtp {

using core::ErrorClass;
using core::Result;

namespace {

constexpr int kMaxAuthSteps = 6;

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

// One line of the dialogue (a Secret), checked and written.
asio::awaitable<Result<void>> write_auth_line(Session::State& state, const core::Secret& line,
                                              core::WireContent content) {
  if (auto checked = check_auth_line(line); !checked) co_return core::fail(checked.error());
  trace_sent(state, line.reveal(), content);
  auto written = co_await write_bytes(
      state, line.reveal(), Deadline::after(state.settings.timeouts.command), "sending AUTH");
  co_return written;
}

// RFC 4954: "*" cancels; the server then answers 501.
asio::awaitable<void> cancel_auth(Session::State& state) {
  trace_sent(state, "*");
  auto cancelled = co_await write_bytes(
      state, "*\r\n", Deadline::after(state.settings.timeouts.command), "cancelling AUTH");
  (void)cancelled;
}

}  // namespace

asio::awaitable<Result<sasl::Mechanism>> run_auth(Session::State& state,
                                                  sasl::ClientCredentials credentials,
                                                  std::vector<sasl::Mechanism> allowed) {
  if (state.broken) co_return core::fail(session_broken_error());
  if (!state.stream.encrypted() && !state.settings.allow_plaintext_auth) {
    co_return core::fail(
        ErrorClass::Config, "smtp.auth_unencrypted",
        fmt::format("refusing to send credentials to {} over an unencrypted connection",
                    state.stream.peer()),
        "use the TLS mode starttls or implicit; only a local test server justifies "
        "allowing plain-text AUTH");
  }
  const std::vector<std::string> offered = state.capabilities.auth_mechanisms();
  auto chosen = choose_mechanism(offered, allowed, state.stream.peer());
  if (!chosen) co_return core::fail(chosen.error());
  auto mechanism = sasl::make_client_mechanism(*chosen, std::move(credentials));
  if (!mechanism) co_return core::fail(mechanism.error());
  auto initial = (*mechanism)->initial_response();
  if (!initial) co_return core::fail(initial.error());
  AuthCommand auth = auth_command(*chosen, *initial);

  auto sent = co_await write_auth_line(state, auth.line, core::WireContent::Normal);
  if (!sent) co_return core::fail(sent.error());
  for (int step = 0; step < kMaxAuthSteps; ++step) {
    auto reply = co_await read_reply(state, state.settings.timeouts.command, "the reply to AUTH");
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
        co_await cancel_auth(state);
        co_return core::fail(broke(
            state, core::Error(ErrorClass::Permanent, "smtp.bad_challenge",
                               fmt::format("{} sent a SASL challenge that is not base64 ({})",
                                           state.stream.peer(), challenge.error().message()))));
      }
      auto response = (*mechanism)->respond(*challenge);
      if (!response) {
        co_await cancel_auth(state);
        co_return core::fail(response.error());
      }
      answer = encode_response_line(*response);
    }
    auto written = co_await write_auth_line(state, answer, core::WireContent::Credentials);
    if (!written) co_return core::fail(written.error());
  }
  co_return core::fail(broke(
      state,
      core::Error(ErrorClass::Permanent, "smtp.auth_loop",
                  fmt::format("{} kept sending challenges; AUTH abandoned", state.stream.peer()))));
}

}  // namespace mailoauth::smtp
