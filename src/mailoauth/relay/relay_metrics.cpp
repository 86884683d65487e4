// The relay's metric families and the events that move them; see relay_metrics.hpp.
#include "mailoauth/relay/relay_metrics.hpp"

#include <algorithm>

namespace mailoauth::relay {

namespace {

double seconds_since_epoch(core::Clock::WallTime when) {
  return std::chrono::duration<double>(when.time_since_epoch()).count();
}

// The latest expiry among an account's current secrets (not a "previous" one
// kept during a rotation); none when the config states none.
std::optional<core::Clock::WallTime> current_secret_expiry(const oauth2::Account& account) {
  std::optional<core::Clock::WallTime> latest;
  for (const oauth2::SecretSource& secret : account.secrets) {
    if (secret.slot == "previous" || !secret.expires) continue;
    if (!latest || *secret.expires > *latest) latest = secret.expires;
  }
  return latest;
}

}  // namespace

std::string_view to_string(UpstreamStage stage) {
  switch (stage) {
    case UpstreamStage::Connect:
      return "connect";
    case UpstreamStage::Auth:
      return "auth";
    case UpstreamStage::Transfer:
      return "transfer";
  }
  return "?";
}

RelayMetrics::RelayMetrics(core::Clock::WallTime started)
    : received_(registry_.counter("mailoauth_relay_messages_received_total",
                                  "Messages accepted (250 after fsync) and spooled, by route.",
                                  {"route"})),
      delivered_(registry_.counter("mailoauth_relay_messages_delivered_total",
                                   "Messages delivered to every recipient and removed from the "
                                   "spool, by route.",
                                   {"route"})),
      deferred_(registry_.counter("mailoauth_relay_messages_deferred_total",
                                  "Delivery attempts that left a message waiting for a next "
                                  "attempt, by route.",
                                  {"route"})),
      failed_(registry_.counter(
          "mailoauth_relay_messages_failed_total",
          "Messages moved to failed/ (a recipient failed for good), by route.", {"route"})),
      bounced_(registry_.counter("mailoauth_relay_messages_bounced_total",
                                 "Delivery status notifications queued to the sender, by route.",
                                 {"route"})),
      queue_messages_(registry_.gauge("mailoauth_relay_queue_messages",
                                      "Messages in the spool by state (from its directory "
                                      "listings, refreshed at most every few seconds).",
                                      {"state"})),
      oldest_age_(registry_.gauge("mailoauth_relay_queue_oldest_message_age_seconds",
                                  "Age of the oldest message waiting for delivery (queued or "
                                  "deferred); 0 when none waits.")),
      renewals_(registry_.counter("mailoauth_token_renewals_total",
                                  "Token renewals the relay's token source ran, by account.",
                                  {"account"})),
      renewal_failures_(registry_.counter("mailoauth_token_renewal_failures_total",
                                          "Token renewals that failed, by account.", {"account"})),
      secret_expiry_(registry_.gauge("mailoauth_account_secret_expiry_timestamp_seconds",
                                     "When the account's current client secret expires (Unix "
                                     "time), as its client_secret_expires in the accounts config "
                                     "says; absent when not stated.",
                                     {"account"})),
      upstream_duration_(registry_.histogram(
          "mailoauth_relay_upstream_duration_seconds",
          "Time spent with the upstream by route and stage: connect (TCP, TLS, EHLO), auth (the "
          "SASL exchange), transfer (one transaction or pipelined batch, or a Graph request).",
          {"route", "stage"},
          {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120})),
      sessions_in_(registry_.gauge("mailoauth_relay_sessions_in",
                                   "Client SMTP sessions open on the relay's listeners.")),
      sessions_out_(registry_.gauge("mailoauth_relay_sessions_out",
                                    "Upstream delivery sessions open, by route.", {"route"})),
      start_time_(registry_.gauge("process_start_time_seconds",
                                  "Start time of the process since the Unix epoch in seconds.")) {
  start_time_.with({}).set(seconds_since_epoch(started));
  sessions_in_.with({}).set(0);
  oldest_age_.with({}).set(0);
  for (const std::string_view state : {"queued", "deferred", "held", "failed"}) {
    queue_messages_.with({state}).set(0);
  }
}

std::string RelayMetrics::text() const {
  const auto families = registry_.snapshot();
  return write_exposition(families);
}

void RelayMetrics::configure(const RelayConfig& config, const oauth2::AccountsConfig& accounts) {
  for (const RouteConfig& route : config.routes) {
    for (CounterFamily* family : {&received_, &delivered_, &deferred_, &failed_, &bounced_}) {
      family->with({route.name});
    }
    sessions_out_.with({route.name});
  }
  secret_expiry_.clear();
  for (const RouteConfig& route : config.routes) {
    const std::string& name = route.account;
    renewals_.with({name});
    renewal_failures_.with({name});
    const auto account = accounts.find(name);
    if (!account) continue;
    if (const auto expiry = current_secret_expiry(**account)) {
      secret_expiry_.with({name}).set(seconds_since_epoch(*expiry));
    }
  }
}

void RelayMetrics::received(std::string_view route) {
  received_.with({route}).add();
}
void RelayMetrics::delivered(std::string_view route) {
  delivered_.with({route}).add();
}
void RelayMetrics::deferred(std::string_view route) {
  deferred_.with({route}).add();
}
void RelayMetrics::failed(std::string_view route) {
  failed_.with({route}).add();
}
void RelayMetrics::bounced(std::string_view route) {
  bounced_.with({route}).add();
}

void RelayMetrics::upstream_session_opened(std::string_view route) {
  sessions_out_.with({route}).add(1);
}
void RelayMetrics::upstream_session_closed(std::string_view route) {
  sessions_out_.with({route}).add(-1);
}

void RelayMetrics::upstream_duration(std::string_view route, UpstreamStage stage,
                                     std::chrono::duration<double> seconds) {
  upstream_duration_.with({route, to_string(stage)}).observe(seconds.count());
}

void RelayMetrics::set_sessions_in(std::size_t sessions) {
  sessions_in_.with({}).set(static_cast<double>(sessions));
}

void RelayMetrics::token_renewal(std::string_view account, bool succeeded) {
  renewals_.with({account}).add();
  if (!succeeded) renewal_failures_.with({account}).add();
}

void RelayMetrics::set_queue(const queue::SpoolCensus& census, core::Clock::WallTime now) {
  queue_messages_.with({"queued"}).set(static_cast<double>(census.queued));
  queue_messages_.with({"deferred"}).set(static_cast<double>(census.deferred));
  queue_messages_.with({"held"}).set(static_cast<double>(census.held));
  queue_messages_.with({"failed"}).set(static_cast<double>(census.failed));
  double age = 0;
  if (census.oldest_queued) {
    age = std::max(0.0, std::chrono::duration<double>(now - *census.oldest_queued).count());
  }
  oldest_age_.with({}).set(age);
}

}  // namespace mailoauth::relay
