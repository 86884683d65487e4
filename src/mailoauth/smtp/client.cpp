// The SMTP client session of client.hpp: each Session call is a line here
// over the State and the free coroutines of client_state.hpp, which live in
// one file per concern — wire (client_wire.cpp), connection
// (client_connection.cpp), AUTH (client_auth.cpp), transactions
// (client_transaction.cpp) and content (client_content.cpp).
#include "mailoauth/smtp/client.hpp"

#include "mailoauth/smtp/client_state.hpp"

namespace mailoauth::smtp {

using core::Result;

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

asio::awaitable<Result<SendReport>> Session::send(Envelope envelope, MessageSource message) {
  std::vector<Transaction> one;
  one.push_back({std::move(envelope), std::move(message)});
  auto results = co_await run_batch(*state_, std::move(one));
  Result<SendReport> outcome = std::move(results.front());
  co_return outcome;
}

asio::awaitable<Result<SendReport>> Session::send(Envelope envelope, std::string message) {
  auto outcome = co_await send(std::move(envelope), MessageSource::from_buffer(std::move(message)));
  co_return outcome;
}

asio::awaitable<std::vector<Result<SendReport>>> Session::send_batch(
    std::vector<Transaction> transactions) {
  auto results = co_await run_batch(*state_, std::move(transactions));
  co_return results;
}

asio::awaitable<Result<SendReport>> Session::probe_envelope(Envelope envelope) {
  auto outcome = co_await run_envelope_probe(*state_, std::move(envelope));
  co_return outcome;
}

asio::awaitable<Result<void>> Session::reset() {
  if (state_->broken) co_return core::fail(session_broken_error());
  auto outcome = co_await reset_state(*state_);
  co_return outcome;
}

asio::awaitable<void> Session::quit() {
  co_await quit_state(*state_);
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
