// The IMAP client's connection commands: connect (TCP, implicit TLS or
// STARTTLS only when offered, the greeting, capabilities read again after
// TLS), ID, and LOGOUT. What was said before STARTTLS is kept for display
// only; bytes after the STARTTLS OK are refused (CVE-2011-0411). The TLS
// context is settings.tls_context when the caller shares one per server,
// else made from settings.tls at the first connect and kept.
#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/client_session.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/quoting.hpp"

namespace mailoauth::imap::detail {

using core::ErrorClass;
using std::chrono::milliseconds;

// Long on purpose (~90 lines): connect, TLS, greeting, STARTTLS and the
// capability refresh are one sequence whose security checks depend on order.
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
  if (!impl.settings.tls_context) {  // made once, kept for reconnects
    auto context = net::TlsContext::client(settings.tls);
    if (!context) co_return core::fail(context.error());
    impl.settings.tls_context = std::move(*context);
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
    auto tls = co_await impl.stream->start_tls(settings.tls_context, *left);
    if (!tls) co_return core::fail(impl.transport_error(tls.error(), "the TLS handshake"));
  }
  impl.begin_command("the greeting");
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
                           "use the implicit TLS port (993) instead of STARTTLS, or enable "
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
    auto tls = co_await impl.stream->start_tls(settings.tls_context, *left);
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

asio::awaitable<core::Result<void>> logout_session(Client::Impl& impl) {
  if (!impl.stream) co_return core::Result<void>();
  impl.logging_out = true;
  auto answer = co_await run_command(impl, "LOGOUT", one_line("LOGOUT"), {}, {}, false);
  impl.drop();
  if (!answer && answer.error().code() != "net.closed") co_return core::fail(answer.error());
  co_return core::Result<void>();
}

}  // namespace mailoauth::imap::detail
