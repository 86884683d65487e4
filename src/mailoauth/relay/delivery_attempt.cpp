// The rules and the upstream session of one delivery attempt; see delivery_attempt.hpp.
#include "mailoauth/relay/delivery_attempt.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/delivery/mechanism_choice.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/oauth2/renew_once_async.hpp"

namespace mailoauth::relay {

namespace {

using core::ErrorClass;
using queue::RecipientStatus;

// How long a token may take before the attempt is deferred instead.
constexpr std::chrono::seconds kTokenDeadline{60};

// A reply's code and first line, as the upstream sent them (bounded).
std::string one_line(const smtp::Reply& reply) {
  return kept_reply(fmt::format("{} {}", reply.code, reply.lines.empty() ? "" : reply.lines[0]));
}

void set(queue::RecipientState& recipient, RecipientStatus status, std::string reply) {
  recipient.status = status;
  recipient.last_reply = std::move(reply);
}

RecipientStatus status_of(const smtp::Reply& reply) {
  if (reply.code / 100 == 2) return RecipientStatus::Sent;
  return reply.is_permanent() ? RecipientStatus::Failed : RecipientStatus::Deferred;
}

bool mentions(std::string text, std::string_view word) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text.find(word) != std::string::npos;
}

}  // namespace

UpstreamRoute resolve_upstream(const RouteConfig& route,
                               const std::shared_ptr<const oauth2::AccountsConfig>& accounts,
                               const std::string& helo_name) {
  UpstreamRoute upstream;
  upstream.config = &route;
  auto found = accounts->find(route.account);
  if (!found) {
    upstream.fault = std::move(found.error());
    return upstream;
  }
  upstream.account = std::shared_ptr<const oauth2::Account>(accounts, *found);
  delivery::ServerOverrides overrides{route.server, route.port, route.tls, {}};
  auto server =
      delivery::server_settings(delivery::MailProtocol::Smtp, upstream.account.get(), overrides);
  if (!server) {
    upstream.fault = std::move(server.error());
    return upstream;
  }
  auto mechanisms = delivery::choose_mechanisms(route.mechanism, upstream.account.get());
  if (!mechanisms) {
    upstream.fault = std::move(mechanisms.error());
    return upstream;
  }
  if (delivery::needs_password(*mechanisms)) {
    upstream.fault = core::Error(ErrorClass::Config, "relay.password_mechanism",
                                 fmt::format("route \"{}\": the relay authenticates upstream with "
                                             "OAuth2 tokens, not passwords",
                                             route.name),
                                 "use mechanism = \"xoauth2\" or \"oauthbearer\"");
    return upstream;
  }
  upstream.mechanisms = std::move(*mechanisms);
  upstream.user = upstream.account->user();
  smtp::ClientSettings& settings = upstream.settings;
  settings.host = server->host;
  settings.port = server->port;
  settings.security = delivery::smtp_security(server->tls);
  settings.tls.ca_file = server->ca_file;
  settings.helo_name = helo_name;
  settings.pipeline_messages = route.pipeline_messages;
  // A route that says tls = "none" is a local upstream the admin chose to
  // reach in clear text (tests, a loopback smarthost).
  settings.allow_plaintext_auth = server->tls == delivery::TlsMode::None;
  return upstream;
}

std::string kept_reply(std::string_view text) {
  if (text.size() <= kMaxKeptReply) return std::string(text);
  std::size_t end = kMaxKeptReply;
  // Back off UTF-8 continuation bytes (at most 3), so a character is not cut in two.
  for (int i = 0; i < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80; ++i) {
    --end;
  }
  return std::string(text.substr(0, end));
}

std::string deciding_reply(const smtp::SendReport& report) {
  const smtp::Reply* reply = report.data_reply         ? &*report.data_reply
                             : report.data_start_reply ? &*report.data_start_reply
                                                       : &report.mail_reply;
  if (!report.data_reply && !report.data_start_reply) {
    for (const smtp::RecipientResult& recipient : report.recipients) {
      if (!recipient.accepted()) reply = &recipient.reply;
    }
  }
  return one_line(*reply);
}

std::chrono::seconds retry_delay(std::uint32_t attempts, std::chrono::seconds first) {
  static constexpr std::array<int, 7> kFactors{1, 5, 15, 30, 60, 120, 240};
  const std::size_t step = attempts == 0 ? 0 : attempts - 1;
  return first * kFactors[std::min(step, kFactors.size() - 1)];
}

bool is_throttling(const smtp::Reply& reply) {
  if (!reply.is_transient() || !reply.enhanced_status) return false;
  const smtp::EnhancedStatus& status = *reply.enhanced_status;
  if (status.subject == 3 && status.detail == 2) return true;
  if (status.subject != 7) return false;
  const std::string text = reply.text();
  return mentions(text, "throttl") || mentions(text, "concurren") || mentions(text, "limit");
}

std::vector<std::size_t> pending_recipients(const queue::DeliveryState& state) {
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < state.recipients.size(); ++i) {
    const RecipientStatus status = state.recipients[i].status;
    if (status == RecipientStatus::Pending || status == RecipientStatus::Deferred) {
      pending.push_back(i);
    }
  }
  return pending;
}

void record_report(queue::DeliveryState& state, const std::vector<std::size_t>& tried,
                   const smtp::SendReport& report) {
  // The reply that decides the recipients the upstream took at RCPT.
  const smtp::Reply* content_reply = report.data_reply         ? &*report.data_reply
                                     : report.data_start_reply ? &*report.data_start_reply
                                                               : nullptr;
  for (std::size_t i = 0; i < tried.size(); ++i) {
    queue::RecipientState& recipient = state.recipients[tried[i]];
    ++recipient.attempts;
    if (report.recipients.size() != tried.size()) {  // MAIL refused: no RCPT was answered
      set(recipient,
          report.mail_reply.code / 100 == 2 ? RecipientStatus::Deferred
                                            : status_of(report.mail_reply),
          one_line(report.mail_reply));
      continue;
    }
    const smtp::Reply& rcpt = report.recipients[i].reply;
    if (!report.recipients[i].accepted()) {
      set(recipient, status_of(rcpt), one_line(rcpt));
    } else if (content_reply == nullptr) {
      set(recipient, RecipientStatus::Deferred, "no reply after the content");
    } else {
      set(recipient, status_of(*content_reply), one_line(*content_reply));
    }
  }
}

void record_failure(queue::DeliveryState& state, const std::vector<std::size_t>& tried,
                    const std::string& reason, bool permanent) {
  for (const std::size_t index : tried) {
    queue::RecipientState& recipient = state.recipients[index];
    ++recipient.attempts;
    set(recipient, permanent ? RecipientStatus::Failed : RecipientStatus::Deferred,
        kept_reply(reason));
  }
}

void finish_attempt(queue::DeliveryState& state, queue::WallTime now, queue::WallTime received,
                    const RelayLimits& limits, std::optional<queue::WallTime> not_before) {
  ++state.attempts;
  const bool expired = now - received >= limits.queue_lifetime;
  for (queue::RecipientState& recipient : state.recipients) {
    if (expired && recipient.status == RecipientStatus::Deferred) {
      recipient.status = RecipientStatus::Failed;
      recipient.last_reply = kept_reply("queue lifetime exceeded; last: " + recipient.last_reply);
    }
  }
  if (state.finished()) {
    state.next_attempt.reset();
    return;
  }
  queue::WallTime next = now + retry_delay(state.attempts, limits.first_retry);
  if (not_before && *not_before > next) next = *not_before;
  state.next_attempt = next;
}

void RateWindow::finished(Clock::time_point started, Clock::time_point now) {
  const auto found = std::find(starts_.begin(), starts_.end(), started);
  if (found != starts_.end()) starts_.erase(found);  // else it already left the window
  starts_.insert(std::upper_bound(starts_.begin(), starts_.end(), now), now);
}

RateWindow::Clock::duration RateWindow::wait(Clock::time_point now) {
  while (!starts_.empty() && starts_.front() <= now - std::chrono::minutes(1)) starts_.pop_front();
  if (starts_.size() < per_minute_) return Clock::duration::zero();
  return starts_.front() + std::chrono::minutes(1) - now;
}

oauth2::AsyncTokenGetter relay_token_getter(std::shared_ptr<const oauth2::Account> account,
                                            oauth2::TokenSource* tokens, bool* token_fault) {
  return [account = std::move(account), tokens,
          token_fault](bool renew) -> boost::asio::awaitable<core::Result<core::Secret>> {
    const auto deadline = std::chrono::steady_clock::now() + kTokenDeadline;
    core::Result<oauth2::AccessToken> got =
        core::fail(ErrorClass::Bug, "relay.no_token", "no token asked for");
    if (renew) {
      got = co_await tokens->renewed_token(account, deadline);
    } else {
      got = co_await tokens->token(account, deadline);
    }
    if (!got) {
      *token_fault = true;
      co_return core::fail(std::move(
          got.error().context(fmt::format("getting a token for account \"{}\"", account->name))));
    }
    core::Secret value = std::move(got->value);
    co_return value;
  };
}

boost::asio::awaitable<core::Result<std::unique_ptr<smtp::Session>>> open_upstream(
    const UpstreamRoute* route, oauth2::TokenSource* tokens, bool* token_fault, bool* renewed,
    AttemptTimings* timings, std::string* peer) {
  *token_fault = false;
  // delays=: the connect part is Session::open; everything else here (the
  // token, AUTH, a renewal) is the auth part.
  const auto began = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration connecting{};
  struct Measured {
    AttemptTimings* timings;
    std::chrono::steady_clock::time_point began;
    std::chrono::steady_clock::duration* connecting;
    ~Measured() {
      if (timings == nullptr) return;
      timings->connect = *connecting;
      timings->auth = std::chrono::steady_clock::now() - began - *connecting;
    }
  } measured{timings, began, &connecting};
  // Connected only once there is a token: an account that cannot get one
  // costs the upstream nothing.
  std::unique_ptr<smtp::Session> session;
  std::unique_ptr<smtp::Session>* slot = &session;
  oauth2::AsyncTokenGetter token = relay_token_getter(route->account, tokens, token_fault);
  std::function<boost::asio::awaitable<core::Result<sasl::Mechanism>>(core::Secret)> attempt =
      [route, slot, peer, connecting = &connecting](
          core::Secret secret) -> boost::asio::awaitable<core::Result<sasl::Mechanism>> {
    if (!*slot) {
      const auto connect_began = std::chrono::steady_clock::now();
      auto opened = co_await smtp::Session::open(route->settings);
      *connecting += std::chrono::steady_clock::now() - connect_began;
      if (!opened) co_return core::fail(std::move(opened.error()));
      *slot = std::move(*opened);
      if (peer != nullptr) *peer = (*slot)->peer();
    }
    sasl::ClientCredentials credentials;
    credentials.user = route->user;
    credentials.secret = std::move(secret);
    credentials.host = route->settings.host;
    credentials.port = route->settings.port;
    auto authenticated = co_await (*slot)->authenticate(std::move(credentials), route->mechanisms);
    co_return authenticated;
  };
  const bool bearer = !route->mechanisms.empty() && sasl::is_bearer(route->mechanisms.front());
  oauth2::TokenRefused refused = [bearer, slot](const core::Error& error) {
    return bearer && *slot && !(*slot)->broken() && error.error_class() == ErrorClass::Permanent;
  };
  auto authenticated = co_await oauth2::renew_once_async<sasl::Mechanism>(
      std::move(token), std::move(attempt), std::move(refused), renewed);
  if (!authenticated) {
    // Refused even with a fresh token: the account's fault, not the message's.
    if (session && !session->broken() &&
        authenticated.error().error_class() == ErrorClass::Permanent) {
      *token_fault = true;
    }
    if (session) co_await session->quit();
    co_return core::fail(std::move(authenticated.error()));
  }
  core::Result<std::unique_ptr<smtp::Session>> ready = std::move(session);
  co_return ready;
}

}  // namespace mailoauth::relay
