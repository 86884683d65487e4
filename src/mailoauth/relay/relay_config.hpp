// The relay's configuration (relay.toml), read into plain data: where the
// spool and the users file are, the session limits, the listeners (address,
// port, TLS, who may send) and the routes (who goes through which account and
// transport). Parsing is pure — text in, RelayConfig or an Error naming the
// file and line out — so every refusal is a unit test.
//
// What is refused here, at load, with the reason: unknown keys (with the
// nearest known one), a listener with TLS but no certificate, two routes that
// tie for some message (routing's check_routes), and above all a listener
// that would take unauthenticated mail from anywhere (0.0.0.0/0 or ::/0 in
// `clients` without `auth = "required"`): the relay is never an open relay,
// whatever the file says.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/delivery/transport.hpp"
#include "mailoauth/net/connection_settings.hpp"
#include "mailoauth/relay/client_network.hpp"
#include "mailoauth/relay/metrics_config.hpp"
#include "mailoauth/relay/routing.hpp"
#include "mailoauth/relay/sender_rewrite.hpp"

namespace mailoauth::relay {

// SMTP AUTH on a listener: not offered, offered, or demanded of every client
// (then nobody is trusted by address, whatever `clients` says).
enum class AuthPolicy { Off, Optional, Required };
std::string_view to_string(AuthPolicy policy);

struct ListenerConfig {
  std::string name;
  std::string address = "127.0.0.1";
  std::uint16_t port = 25;
  delivery::TlsMode tls = delivery::TlsMode::None;
  std::string certificate;  // PEM chain; required when tls is not none
  std::string key;          // PEM key; the certificate file when empty
  net::TlsVersion min_tls = net::TlsVersion::Tls12;
  // Clients that may send without AUTH (unless auth is required). Others
  // may connect but must log in as a relay user to send.
  std::vector<ClientNetwork> clients;
  AuthPolicy auth = AuthPolicy::Optional;
  bool allow_plaintext_auth = false;  // AUTH before TLS (old devices; logged loudly)
};

// MAIL FROM of a notification upstream: the route's mailbox (what an OAuth2
// provider lets the authenticated mailbox send) or RFC 5321's null sender <>.
enum class BounceEnvelopeFrom { Mailbox, Null };

struct RouteConfig {
  std::string name;
  RouteMatch match;
  std::string account;  // a name in the accounts config
  delivery::Transport transport = delivery::Transport::Smtp;
  std::string server;  // empty: the account's or provider's
  std::uint16_t port = 0;
  std::optional<delivery::TlsMode> tls;
  std::string mechanism;              // empty: chosen from the server's offer
  unsigned connections = 3;           // Exchange Online allows 3 per mailbox
  unsigned messages_per_minute = 30;  // Exchange Online's per-mailbox rate
  // Several ready messages on an open session go as one smtp::Session::send_batch,
  // the next one's MAIL and RCPTs in the same write as the end of the previous
  // content (RFC 2920 3.1). Off by default: Dovecot 2.3.19's submission server
  // aborts on it; Postfix and Exchange Online take it.
  bool pipeline_messages = false;
  // rewrite_envelope_from, rewrite_from, keep_original_in_reply_to: applied
  // at delivery (relay/sender_rewrite), so the spool keeps the original.
  SenderRewriteConfig rewrite;
  // Delivery status notifications (relay/bounce_generator): whether this
  // route's senders get them (false: devices whose sender address is not
  // real; failures are only logged and kept in failed/), their author
  // (empty: the route's account mailbox) and envelope sender upstream, and
  // the delay warning (nullopt: the global delay_warning_time; zero: off).
  bool bounces = true;
  std::string bounce_from;
  BounceEnvelopeFrom bounce_envelope_from = BounceEnvelopeFrom::Mailbox;
  std::optional<std::chrono::seconds> delay_warning_time;
  // transport = "auto": how long the route stays on Graph after SMTP AUTH was
  // refused, before SMTP is tried again (relay/transport_fallback).
  std::chrono::seconds graph_fallback_time{3600};
};

struct RelayLimits {
  std::uint64_t max_message_size = 35ull << 20;
  std::size_t max_recipients = 1000;
  std::size_t max_sessions = 200;
  std::size_t max_sessions_per_client = 20;
  std::size_t max_errors = 10;
  // Failed AUTH per client address (IPv6: per /64) in any auth_failure_window,
  // across sessions; then AUTH gets 454 4.7.0 until the oldest failure ages
  // out. Three sessions of three tries (a session closes after 3). 0: off.
  unsigned auth_failures_per_client = 9;
  std::chrono::seconds auth_failure_window{600};
  // RFC 5321 4.5.3.2.7: a server SHOULD wait at least 5 minutes for the next command.
  std::chrono::seconds command_timeout{300};
  // RFC 5321 4.5.3.2.6: 3 minutes for each block of DATA (the client's side;
  // the server uses the same bound for each read while content streams).
  std::chrono::seconds data_timeout{180};
  // How long to listen before the 220: a client that talks first is refused.
  std::chrono::milliseconds greeting_pause{250};
  // Sessions still running at shutdown are cut after this.
  std::chrono::seconds shutdown_grace{30};
  // Delivery retries: after 1, 5, 15, 30, 60, 120, 240 times this, then every
  // 240 times (1 min: 1m, 5m, 15m, 30m, 1h, 2h, 4h, 4h...).
  std::chrono::seconds first_retry{60};
  // A recipient still not delivered this long after the message was received fails.
  std::chrono::seconds queue_lifetime{5 * 24 * 3600};
  // A sender whose message is still not delivered this long after it was
  // received gets one "delayed" notification (Postfix's delay_warning_time);
  // zero: off (the default). A route's own delay_warning_time overrides it.
  std::chrono::seconds delay_warning_time{0};
  bool operator==(const RelayLimits&) const = default;
};

struct RelayConfig {
  std::string source;  // the file name, for messages
  std::string hostname = "localhost";
  std::filesystem::path spool_directory = "/var/spool/mailoauth";
  std::filesystem::path users_file = "/etc/mailoauth/relay-users";
  std::filesystem::path accounts;  // empty: the default accounts config
  RelayLimits limits;
  std::vector<ListenerConfig> listeners;
  std::vector<RouteConfig> routes;
  std::optional<MetricsListen> metrics;  // [metrics] listen; none: no metrics listener

  std::vector<RouteMatch> route_matches() const;
  std::vector<std::string> route_names() const;
};

core::Result<RelayConfig> parse_relay_config(std::string_view text, std::string source_name);
core::Result<RelayConfig> load_relay_config(const std::filesystem::path& path);

// SIGHUP: what differs between the running config and a freshly loaded
// one that a reload does not apply (everything but the routes and the
// accounts file: listeners, limits, paths, the hostname), one name each
// ("listeners.lan", "max_sessions"), for the log.
std::vector<std::string> changes_needing_restart(const RelayConfig& running,
                                                 const RelayConfig& loaded);

// The running config with the routes and the accounts file of `loaded`,
// checked as a load checks them (routes that tie, a listener a route names
// that the running config does not have).
core::Result<RelayConfig> with_reloaded_routes(const RelayConfig& running,
                                               const RelayConfig& loaded);

// The configuration `mailoauth relay` ships with: one listener on
// 127.0.0.1:2525, trusted from 127.0.0.1 and ::1 only, no routes.
std::string_view default_relay_config();

// The listener whose configuration would make the relay an open relay, as an
// error; none: ok. (parse_relay_config calls it; exposed for the docs' tests.)
core::Result<void> check_not_open_relay(const ListenerConfig& listener, std::string_view where);

}  // namespace mailoauth::relay
