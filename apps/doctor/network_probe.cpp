// Steps 2 and 3 of the doctor: the server's name resolved (every A/AAAA
// address listed) and a TCP connection opened to it and closed again, each
// under the step's deadline. net::Stream::connect does both in one call and
// folds the outcome into one message; the doctor needs the facts apart
// (which addresses, and whether the port refused, timed out or had no
// route: a refusal means "wrong port", a timeout "a firewall drops it"), so
// this is its own small probe on Asio's resolver and socket. For a Microsoft
// account whose tenant is a domain, that domain is resolved too: a warning
// only (the token endpoint is login.microsoftonline.com either way, and the
// tests run offline).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "run_coroutine.hpp"
#include "walk.hpp"

namespace mailoauth::doctor_app {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

struct Resolution {
  std::vector<tcp::endpoint> endpoints;
  bool timed_out = false;
  std::string error;  // the resolver's message
};

asio::awaitable<Resolution> resolve(std::string host, std::uint16_t port,
                                    std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  asio::steady_timer timer(executor, timeout);
  auto resolved = co_await (
      resolver.async_resolve(host, std::to_string(port), tcp::resolver::numeric_service, kTuple) ||
      timer.async_wait(kTuple));
  Resolution resolution;
  if (resolved.index() == 1) {
    resolution.timed_out = true;
    co_return resolution;
  }
  auto [error, results] = std::get<0>(std::move(resolved));
  if (error) {
    resolution.error = error.message();
    co_return resolution;
  }
  for (const auto& entry : results) resolution.endpoints.push_back(entry.endpoint());
  co_return resolution;
}

struct Attempt {
  doctor::ConnectOutcome outcome = doctor::ConnectOutcome::OtherError;
  std::string text;  // "127.0.0.1: Connection refused"
};

asio::awaitable<Attempt> connect(tcp::endpoint endpoint, std::chrono::milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  tcp::socket socket(executor);
  asio::steady_timer timer(executor, timeout);
  auto connected = co_await (socket.async_connect(endpoint, kTuple) || timer.async_wait(kTuple));
  Attempt attempt;
  const std::string address = endpoint.address().to_string();
  if (connected.index() == 1) {
    attempt.outcome = doctor::ConnectOutcome::TimedOut;
    attempt.text = fmt::format("{}: no answer within {} ms", address, timeout.count());
    co_return attempt;
  }
  auto [error] = std::get<0>(connected);
  if (!error) {
    attempt.outcome = doctor::ConnectOutcome::Connected;
    attempt.text = address;
    boost::system::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    co_return attempt;
  }
  attempt.text = fmt::format("{}: {}", address, error.message());
  if (error == asio::error::connection_refused) {
    attempt.outcome = doctor::ConnectOutcome::Refused;
  } else if (error == asio::error::host_unreachable || error == asio::error::network_unreachable) {
    attempt.outcome = doctor::ConnectOutcome::Unreachable;
  } else if (error == asio::error::timed_out) {
    attempt.outcome = doctor::ConnectOutcome::TimedOut;
  }
  co_return attempt;
}

bool is_domain(std::string_view tenant) {
  return tenant.find('.') != std::string_view::npos;
}

}  // namespace

bool check_network(Walk& walk) {
  doctor::Step& dns = walk.step(doctor::StepName::Dns);
  const doctor::Endpoint& endpoint = walk.endpoint;
  Resolution resolution = run_coroutine(resolve(endpoint.host, endpoint.port, walk.timeout()));
  if (resolution.timed_out) {
    doctor::fail_step(dns, doctor::name_resolution_timed_out(endpoint, walk.timeout()));
    return false;
  }
  if (resolution.endpoints.empty()) {
    doctor::fail_step(
        dns, doctor::name_not_resolved(endpoint,
                                       resolution.error.empty() ? "no address" : resolution.error));
    return false;
  }
  dns.verdict = doctor::Verdict::Passed;
  std::vector<std::string> addresses;
  for (const auto& address : resolution.endpoints) {
    addresses.push_back(address.address().to_string());
  }
  dns.found.push_back(fmt::format("{} has {}", endpoint.host, fmt::join(addresses, ", ")));
  const oauth2::Account& account = *walk.token_account;
  if (account.provider == oauth2::ProviderKind::Microsoft && is_domain(account.tenant)) {
    Resolution tenant = run_coroutine(resolve(account.tenant, 443, walk.timeout()));
    if (tenant.endpoints.empty()) {
      dns.verdict = doctor::Verdict::Warning;
      dns.cause = fmt::format("the tenant domain {} does not resolve from here ({})",
                              account.tenant, tenant.timed_out ? "timed out" : tenant.error);
      dns.remedy =
          "check the tenant's spelling in the account (or use its directory ID, Entra admin "
          "center > Overview > Tenant ID); sign-in goes to login.microsoftonline.com either way";
    } else {
      dns.found.push_back(fmt::format("tenant domain {} resolves", account.tenant));
    }
  }

  doctor::Step& tcp_step = walk.step(doctor::StepName::Tcp);
  std::vector<std::string> failures;
  doctor::ConnectOutcome worst = doctor::ConnectOutcome::OtherError;
  for (const auto& address : resolution.endpoints) {
    Attempt attempt = run_coroutine(connect(address, walk.timeout()));
    if (attempt.outcome == doctor::ConnectOutcome::Connected) {
      tcp_step.verdict = doctor::Verdict::Passed;
      tcp_step.found.push_back(fmt::format("connected to {} port {}", attempt.text, endpoint.port));
      for (const std::string& failure : failures) tcp_step.found.push_back("before: " + failure);
      return true;
    }
    failures.push_back(attempt.text);
    // Refused says most (something answered); then no route; then silence.
    if (attempt.outcome == doctor::ConnectOutcome::Refused ||
        (attempt.outcome == doctor::ConnectOutcome::Unreachable &&
         worst != doctor::ConnectOutcome::Refused) ||
        (attempt.outcome == doctor::ConnectOutcome::TimedOut &&
         worst == doctor::ConnectOutcome::OtherError)) {
      worst = attempt.outcome;
    }
  }
  for (const std::string& failure : failures) tcp_step.found.push_back(failure);
  doctor::fail_step(
      tcp_step, doctor::connection_failed(
                    endpoint, worst, fmt::format("{}", fmt::join(failures, "; ")), walk.timeout()));
  return false;
}

}  // namespace mailoauth::doctor_app
