// The synchronous driver of the SMTP Session; see submit.hpp. The session's
// steps (open, AUTH, the messages) are coroutines run one by one on a private
// io_context; the token is asked for between them (renew_once), so the
// blocking token engine is never called from inside a coroutine.
#include "mailoauth/smtp/submit.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "mailoauth/oauth2/renew_once.hpp"

namespace mailoauth::smtp {

namespace {

sasl::ClientCredentials credentials_for(const SubmitAuth& auth, core::Secret secret,
                                        const ClientSettings& settings) {
  sasl::ClientCredentials credentials;
  credentials.user = auth.user;
  credentials.secret = std::move(secret);
  credentials.host = auth.oauthbearer_host.empty() ? settings.host : auth.oauthbearer_host;
  credentials.port = settings.port;
  return credentials;
}

// Runs one step of the session to completion on `context`. submit() runs
// its steps one after another on the same io_context, and asks for the
// token between them, never inside a coroutine: the engine behind
// SubmitAuth::secret blocks (HTTP, the store's lock, retry sleeps).
template <typename T>
T run_step(asio::io_context& context, asio::awaitable<T> step) {
  context.restart();
  auto future = asio::co_spawn(context, std::move(step), asio::use_future);
  context.run();
  return future.get();
}

// AUTH, with a refused bearer token renewed once (oauth2::renew_once).
core::Result<sasl::Mechanism> authenticate(asio::io_context& context, Session& session,
                                           const SubmitAuth& auth, const ClientSettings& settings,
                                           bool& renewed) {
  const bool bearer = !auth.mechanisms.empty() && sasl::is_bearer(auth.mechanisms.front());
  return oauth2::renew_once<sasl::Mechanism>(
      auth.secret,
      [&](core::Secret secret) {
        return run_step(context,
                        session.authenticate(credentials_for(auth, std::move(secret), settings),
                                             auth.mechanisms));
      },
      [&](const core::Error& error) {
        return bearer && !session.broken() && error.error_class() == core::ErrorClass::Permanent;
      },
      &renewed);
}

// The messages as one batch (send_batch: a broken session fails the rest
// with its reason), then QUIT, over the open (and authenticated) session.
asio::awaitable<core::Result<SubmitResult>> run_submit(Session* session, SubmitResult result,
                                                       std::vector<Outgoing> messages) {
  std::vector<Transaction> transactions;
  for (Outgoing& outgoing : messages) {
    MessageSource source = outgoing.source
                               ? std::move(*outgoing.source)
                               : MessageSource::from_buffer(std::move(outgoing.message));
    transactions.push_back({std::move(outgoing.envelope), std::move(source)});
  }
  auto reports = co_await session->send_batch(std::move(transactions));
  result.reports = std::move(reports);
  co_await session->quit();
  co_return result;
}

}  // namespace

core::Result<SubmitResult> submit(ClientSettings settings, std::optional<SubmitAuth> auth,
                                  std::vector<Outgoing> messages) {
  asio::io_context context;
  auto opened = run_step(context, Session::open(settings));
  if (!opened) return core::fail(opened.error());
  std::unique_ptr<Session> session = std::move(*opened);
  SubmitResult result;
  result.peer = session->peer();
  result.encrypted = session->encrypted();
  result.certificate = session->peer_certificate();
  result.capabilities = session->capabilities();
  if (auth) {
    auto authenticated = authenticate(context, *session, *auth, settings, result.token_renewed);
    if (!authenticated) {
      run_step(context, session->quit());
      return core::fail(authenticated.error());
    }
    result.mechanism = *authenticated;
  }
  return run_step(context, run_submit(session.get(), std::move(result), std::move(messages)));
}

}  // namespace mailoauth::smtp
