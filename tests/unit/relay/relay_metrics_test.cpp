// The relay's metrics as a scrape shows them: every family with its HELP and
// TYPE; the configured routes' and accounts' counters at 0 before anything
// happened; events counted under their route or account; the queue gauges
// and the oldest message's age from a census; the client secret's expiry
// from the accounts config (not a "previous" secret's); no series for a
// recipient or anything a peer chose.
#include "mailoauth/relay/relay_metrics.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

using namespace std::chrono_literals;

const core::Clock::WallTime kStarted{std::chrono::seconds{1'764'900'000}};

RelayConfig two_routes() {
  auto config = parse_relay_config(R"(
[listeners.lan]
[routes.contoso]
senders = ["contoso.com"]
account = "work"
[routes.fabrikam]
senders = ["fabrikam.com"]
account = "other"
)",
                                   "relay.toml");
  EXPECT_TRUE(config) << config.error().describe();
  return *config;
}

oauth2::AccountsConfig accounts() {
  oauth2::AccountsConfig accounts;
  oauth2::Account work;
  work.name = "work";
  oauth2::SecretSource current;
  current.slot = "current";
  current.expires = core::Clock::WallTime{std::chrono::seconds{1'800'000'000}};
  oauth2::SecretSource previous;
  previous.slot = "previous";
  previous.expires = core::Clock::WallTime{std::chrono::seconds{1'790'000'000}};
  work.secrets.push_back(std::move(current));
  work.secrets.push_back(std::move(previous));
  accounts.accounts.push_back(std::move(work));
  oauth2::Account other;
  other.name = "other";  // no expiry stated
  accounts.accounts.push_back(std::move(other));
  return accounts;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST(RelayMetricsTest, ConfiguredSeriesStartAtZero) {
  RelayMetrics metrics(kStarted);
  metrics.configure(two_routes(), accounts());
  const std::string text = metrics.text();
  for (const std::string name : {"received", "delivered", "deferred", "failed", "bounced"}) {
    for (const std::string route : {"contoso", "fabrikam"}) {
      EXPECT_TRUE(
          has_line(text, "mailoauth_relay_messages_" + name + "_total{route=\"" + route + "\"} 0"))
          << name << " " << route << "\n"
          << text;
    }
    EXPECT_TRUE(has_line(text, "# TYPE mailoauth_relay_messages_" + name + "_total counter"));
  }
  EXPECT_TRUE(has_line(text, "mailoauth_token_renewals_total{account=\"work\"} 0"));
  EXPECT_TRUE(has_line(text, "mailoauth_token_renewal_failures_total{account=\"other\"} 0"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_sessions_out{route=\"fabrikam\"} 0"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_sessions_in 0"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_messages{state=\"held\"} 0"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_oldest_message_age_seconds 0"));
  EXPECT_TRUE(has_line(text, "process_start_time_seconds 1764900000"));
  EXPECT_TRUE(has_line(text, "# TYPE mailoauth_relay_upstream_duration_seconds histogram"));
}

TEST(RelayMetricsTest, SecretExpiryIsTheCurrentSecretsFromTheConfig) {
  RelayMetrics metrics(kStarted);
  metrics.configure(two_routes(), accounts());
  const std::string text = metrics.text();
  EXPECT_TRUE(has_line(
      text, "mailoauth_account_secret_expiry_timestamp_seconds{account=\"work\"} 1800000000"))
      << text;
  EXPECT_EQ(text.find("mailoauth_account_secret_expiry_timestamp_seconds{account=\"other\"}"),
            std::string::npos);
}

TEST(RelayMetricsTest, EventsAreCountedByRouteAndAccount) {
  RelayMetrics metrics(kStarted);
  metrics.configure(two_routes(), accounts());
  for (int i = 0; i < 3; ++i) metrics.received("contoso");
  metrics.delivered("contoso");
  metrics.deferred("contoso");
  metrics.deferred("contoso");
  metrics.failed("fabrikam");
  metrics.bounced("fabrikam");
  metrics.token_renewal("work", true);
  metrics.token_renewal("work", false);
  metrics.upstream_session_opened("contoso");
  metrics.upstream_session_opened("contoso");
  metrics.upstream_session_closed("contoso");
  metrics.upstream_duration("contoso", UpstreamStage::Auth, 30ms);
  metrics.set_sessions_in(4);
  const std::string text = metrics.text();
  EXPECT_TRUE(has_line(text, "mailoauth_relay_messages_received_total{route=\"contoso\"} 3"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_messages_delivered_total{route=\"contoso\"} 1"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_messages_deferred_total{route=\"contoso\"} 2"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_messages_failed_total{route=\"fabrikam\"} 1"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_messages_bounced_total{route=\"fabrikam\"} 1"));
  EXPECT_TRUE(has_line(text, "mailoauth_token_renewals_total{account=\"work\"} 2"));
  EXPECT_TRUE(has_line(text, "mailoauth_token_renewal_failures_total{account=\"work\"} 1"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_sessions_out{route=\"contoso\"} 1"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_sessions_in 4"));
  EXPECT_TRUE(has_line(text,
                       "mailoauth_relay_upstream_duration_seconds_bucket{route=\"contoso\","
                       "stage=\"auth\",le=\"0.025\"} 0"));
  EXPECT_TRUE(has_line(text,
                       "mailoauth_relay_upstream_duration_seconds_bucket{route=\"contoso\","
                       "stage=\"auth\",le=\"0.05\"} 1"));
  EXPECT_TRUE(has_line(
      text, "mailoauth_relay_upstream_duration_seconds_count{route=\"contoso\",stage=\"auth\"} 1"));
}

TEST(RelayMetricsTest, QueueGaugesFromACensus) {
  RelayMetrics metrics(kStarted);
  queue::SpoolCensus census;
  census.queued = 7;
  census.deferred = 3;
  census.held = 1;
  census.failed = 2;
  census.oldest_queued = kStarted;
  metrics.set_queue(census, kStarted + 90min);
  std::string text = metrics.text();
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_messages{state=\"queued\"} 7"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_messages{state=\"deferred\"} 3"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_messages{state=\"held\"} 1"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_messages{state=\"failed\"} 2"));
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_oldest_message_age_seconds 5400"));
  metrics.set_queue(queue::SpoolCensus{}, kStarted + 90min);
  text = metrics.text();
  EXPECT_TRUE(has_line(text, "mailoauth_relay_queue_oldest_message_age_seconds 0"));
}

TEST(RelayMetricsTest, ReloadDropsAccountsThatAreGoneFromTheExpiryGauge) {
  RelayMetrics metrics(kStarted);
  metrics.configure(two_routes(), accounts());
  metrics.configure(two_routes(), oauth2::AccountsConfig{});  // the accounts file emptied
  EXPECT_EQ(metrics.text().find("mailoauth_account_secret_expiry_timestamp_seconds{"),
            std::string::npos);
}

}  // namespace
}  // namespace mailoauth::relay
