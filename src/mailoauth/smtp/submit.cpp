// The synchronous driver of the SMTP Session; see submit.hpp.
#include "mailoauth/smtp/submit.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

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

asio::awaitable<core::Result<SubmitResult>> run_submit(ClientSettings settings,
                                                       std::optional<SubmitAuth> auth,
                                                       std::vector<Outgoing> messages) {
  auto opened = co_await Session::open(settings);
  if (!opened) co_return core::fail(opened.error());
  std::unique_ptr<Session> session = std::move(*opened);
  SubmitResult result;
  result.peer = session->peer();
  result.encrypted = session->encrypted();
  result.certificate = session->peer_certificate();
  result.capabilities = session->capabilities();

  if (auth) {
    auto secret = auth->secret(false);
    if (!secret) co_return core::fail(secret.error());
    auto authenticated = co_await session->authenticate(
        credentials_for(*auth, std::move(*secret), settings), auth->mechanisms);
    if (!authenticated && !session->broken() &&
        authenticated.error().error_class() == core::ErrorClass::Permanent &&
        !auth->mechanisms.empty() && sasl::is_bearer(auth->mechanisms.front())) {
      auto renewed = auth->secret(true);
      if (renewed) {
        result.token_renewed = true;
        authenticated = co_await session->authenticate(
            credentials_for(*auth, std::move(*renewed), settings), auth->mechanisms);
      }
    }
    if (!authenticated) {
      co_await session->quit();
      co_return core::fail(authenticated.error());
    }
    result.mechanism = *authenticated;
  }

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
  auto future =
      asio::co_spawn(context, run_submit(std::move(settings), std::move(auth), std::move(messages)),
                     asio::use_future);
  context.run();
  return future.get();
}

}  // namespace mailoauth::smtp
