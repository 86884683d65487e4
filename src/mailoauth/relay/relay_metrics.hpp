// The relay's metrics, by name: what it counts and measures, for the
// Prometheus listener (metrics_http_server.hpp) and for the alert rules and
// dashboard in contrib/prometheus/. Each place that knows an event calls one
// function here (the scheduler a delivery, the token source a renewal), so
// the names, labels and units live in this file only. Labels are routes and
// accounts, which come from the configuration; never a recipient or a
// client address. Thread-safe (metrics_registry.hpp): called from the event
// loop, the pools and the token source's workers.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/queue/spool_census.hpp"
#include "mailoauth/relay/metrics_registry.hpp"
#include "mailoauth/relay/relay_config.hpp"

namespace mailoauth::relay {

// The stages of an upstream delivery timed in mailoauth_relay_upstream_duration_seconds.
enum class UpstreamStage { Connect, Auth, Transfer };
std::string_view to_string(UpstreamStage stage);

class RelayMetrics {
 public:
  // `started`: the process start, for process_start_time_seconds.
  explicit RelayMetrics(core::Clock::WallTime started);
  RelayMetrics(const RelayMetrics&) = delete;
  RelayMetrics& operator=(const RelayMetrics&) = delete;

  MetricsRegistry& registry() { return registry_; }
  std::string text() const;  // the exposition of every family

  // The routes and accounts of the configuration: their counters show 0
  // before the first event (so rate() and alerts see them), and the client
  // secrets' expiry dates the accounts config states. At start and at each reload.
  void configure(const RelayConfig& config, const oauth2::AccountsConfig& accounts);

  // Per message, by the route it was spooled for.
  void received(std::string_view route);
  void delivered(std::string_view route);  // every recipient accepted; it left the spool
  void deferred(std::string_view route);   // an attempt ended with a next attempt set
  void failed(std::string_view route);     // moved to failed/ (some recipient failed for good)
  void bounced(std::string_view route);    // a delivery status notification was queued

  void upstream_session_opened(std::string_view route);
  void upstream_session_closed(std::string_view route);
  void upstream_duration(std::string_view route, UpstreamStage stage,
                         std::chrono::duration<double> seconds);
  void set_sessions_in(std::size_t sessions);

  // A renewal the token source ran for an account (token from the store or the identity server).
  void token_renewal(std::string_view account, bool succeeded);

  void set_queue(const queue::SpoolCensus& census, core::Clock::WallTime now);

 private:
  MetricsRegistry registry_;
  CounterFamily& received_;
  CounterFamily& delivered_;
  CounterFamily& deferred_;
  CounterFamily& failed_;
  CounterFamily& bounced_;
  GaugeFamily& queue_messages_;
  GaugeFamily& oldest_age_;
  CounterFamily& renewals_;
  CounterFamily& renewal_failures_;
  GaugeFamily& secret_expiry_;
  HistogramFamily& upstream_duration_;
  GaugeFamily& sessions_in_;
  GaugeFamily& sessions_out_;
  GaugeFamily& start_time_;
};

}  // namespace mailoauth::relay
