// The IMAP client's logins: LOGIN (refused up front when LOGINDISABLED) and
// AUTHENTICATE through a sasl::ClientMechanism, with SASL-IR when offered
// and the line fits, else the continuation form. AUTHENTICATE has its own
// loop (not run_command) because its continuations carry the SASL dialogue;
// it answers a bearer failure challenge and puts its status and scope into
// the error, and it explains Dovecot's silent hang-up on a token too large.
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/client_session.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/quoting.hpp"
#include "mailoauth/sasl/bearer_failure.hpp"

namespace mailoauth::imap::detail {

using core::ErrorClass;
using std::chrono::milliseconds;

namespace {

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

}  // namespace

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

  impl.begin_command(command_name);
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

}  // namespace mailoauth::imap::detail
