// relay.toml: what is read (defaults from RFC 5321's minimums and Exchange's
// limits, every key of a listener and a route), and what is refused at load
// with a reason naming the line: an open relay, TLS without a certificate,
// routes that tie, unknown keys (with did-you-mean), listeners a route names
// that do not exist.
#include "mailoauth/relay/relay_config.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

core::Result<RelayConfig> parse(std::string_view text) {
  return parse_relay_config(text, "relay.toml");
}

std::string error_of(std::string_view text) {
  auto config = parse(text);
  EXPECT_FALSE(config.has_value()) << text;
  return config ? std::string() : config.error().describe();
}

TEST(RelayConfigTest, ShippedDefaultListensOnLoopbackOnly) {
  auto config = parse(default_relay_config());
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  ASSERT_EQ(config->listeners.size(), 1u);
  EXPECT_EQ(config->listeners[0].address, "127.0.0.1");
  EXPECT_FALSE(any_contains(config->listeners[0].clients, *parse_ip_address("192.168.1.1")));
  EXPECT_TRUE(any_contains(config->listeners[0].clients, *parse_ip_address("127.0.0.1")));
  EXPECT_TRUE(config->routes.empty());
}

TEST(RelayConfigTest, DefaultsFollowRfc5321Minimums) {
  auto config = parse("[listeners.a]\n");
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  EXPECT_EQ(config->limits.command_timeout, std::chrono::minutes(5));  // 4.5.3.2.7
  EXPECT_EQ(config->limits.data_timeout, std::chrono::minutes(3));     // 4.5.3.2.6
  EXPECT_EQ(config->listeners[0].address, "127.0.0.1");
  EXPECT_EQ(config->listeners[0].auth, AuthPolicy::Optional);
  EXPECT_EQ(config->listeners[0].min_tls, net::TlsVersion::Tls12);
}

TEST(RelayConfigTest, ReadsEveryKey) {
  auto config = parse(R"(
hostname = "relay.example.net"
spool_directory = "/tmp/spool"
users_file = "/tmp/users"
accounts = "/tmp/accounts.toml"
max_message_size = 1048576
max_recipients = 200
max_sessions = 50
max_sessions_per_client = 5
max_errors = 4
command_timeout = 60
data_timeout = 30
greeting_pause_ms = 0
shutdown_grace = 5
[listeners.lan]
address = "0.0.0.0"
port = 2525
tls = "starttls"
certificate = "/etc/cert.pem"
key = "/etc/key.pem"
min_tls = "tls10"
clients = ["192.168.10.0/24", "2001:db8::/32"]
auth = "optional"
allow_plaintext_auth = true
[routes.contoso]
senders = ["contoso.com"]
account = "contoso"
transport = "graph"
[routes.scanner]
senders = ["scanner@contoso.com"]
users = ["scanner"]
listeners = ["lan"]
account = "shared"
transport = "smtp"
server = "smtp.office365.com"
port = 587
tls = "starttls"
mechanism = "XOAUTH2"
connections = 2
messages_per_minute = 10
pipeline_messages = true
)");
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  EXPECT_EQ(config->hostname, "relay.example.net");
  EXPECT_EQ(config->spool_directory, "/tmp/spool");
  EXPECT_EQ(config->accounts, "/tmp/accounts.toml");
  EXPECT_EQ(config->limits.max_message_size, 1048576u);
  EXPECT_EQ(config->limits.max_sessions_per_client, 5u);
  EXPECT_EQ(config->limits.command_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config->limits.greeting_pause, std::chrono::milliseconds(0));
  const ListenerConfig& lan = config->listeners.at(0);
  EXPECT_EQ(lan.port, 2525);
  EXPECT_EQ(lan.tls, delivery::TlsMode::StartTls);
  EXPECT_EQ(lan.min_tls, net::TlsVersion::Tls10);
  EXPECT_EQ(lan.clients.size(), 2u);
  EXPECT_TRUE(lan.allow_plaintext_auth);
  ASSERT_EQ(config->routes.size(), 2u);
  EXPECT_EQ(config->routes[0].transport, delivery::Transport::Graph);
  EXPECT_EQ(config->routes[0].connections, 3u) << "Exchange's 3 connections per mailbox";
  EXPECT_EQ(config->routes[0].messages_per_minute, 30u);
  EXPECT_FALSE(config->routes[0].pipeline_messages) << "off by default (Dovecot aborts on it)";
  const RouteConfig& scanner = config->routes[1];
  EXPECT_EQ(scanner.server, "smtp.office365.com");
  EXPECT_EQ(scanner.port, 587);
  EXPECT_EQ(scanner.tls, delivery::TlsMode::StartTls);
  EXPECT_EQ(scanner.connections, 2u);
  EXPECT_EQ(scanner.messages_per_minute, 10u);
  EXPECT_TRUE(scanner.pipeline_messages);
  EXPECT_EQ(scanner.match.users, std::vector<std::string>{"scanner"});
}

TEST(RelayConfigTest, RefusesAnOpenRelay) {
  for (const char* everything : {"0.0.0.0/0", "::/0"}) {
    for (const char* auth : {"off", "optional"}) {
      const std::string text =
          std::string("[listeners.wan]\naddress = \"0.0.0.0\"\nclients = [\"") + everything +
          "\"]\nauth = \"" + auth + "\"\n";
      const std::string error = error_of(text);
      EXPECT_NE(error.find("never an open relay"), std::string::npos) << error;
      EXPECT_NE(error.find("relay.toml:"), std::string::npos) << error;
    }
  }
  // The same networks are harmless when every client must log in.
  EXPECT_TRUE(parse("[listeners.wan]\nclients = [\"0.0.0.0/0\"]\nauth = \"required\"\n"));
}

TEST(RelayConfigTest, RefusesTlsWithoutCertificate) {
  for (const char* mode : {"starttls", "implicit"}) {
    const std::string error = error_of(std::string("[listeners.a]\ntls = \"") + mode + "\"\n");
    EXPECT_NE(error.find("no certificate"), std::string::npos) << error;
  }
}

TEST(RelayConfigTest, RefusesRoutesThatTie) {
  const std::string error = error_of(R"([listeners.a]
[routes.one]
senders = ["contoso.com"]
account = "a"
[routes.two]
senders = ["contoso.com"]
account = "b"
)");
  EXPECT_NE(error.find("one"), std::string::npos) << error;
  EXPECT_NE(error.find("two"), std::string::npos) << error;
}

TEST(RelayConfigTest, RefusesUnknownKeysWithSuggestion) {
  EXPECT_NE(error_of("hostnam = \"x\"\n[listeners.a]\n").find("hostname"), std::string::npos);
  EXPECT_NE(error_of("[listeners.a]\nclient = [\"10.0.0.0/8\"]\n").find("clients"),
            std::string::npos);
  EXPECT_NE(
      error_of("[listeners.a]\n[routes.r]\nsenders=[\"a.com\"]\naccount=\"x\"\nconections=2\n")
          .find("connections"),
      std::string::npos);
}

TEST(RelayConfigTest, RefusesBadValues) {
  EXPECT_NE(error_of("[listeners.a]\naddress = \"relay.example\"\n").find("not an IP address"),
            std::string::npos);
  EXPECT_NE(error_of("[listeners.a]\nclients = [\"10.0.0.1/8\"]\n").find("relay.toml:2"),
            std::string::npos);
  EXPECT_NE(error_of("[listeners.a]\nauth = \"maybe\"\n").find("off, optional or required"),
            std::string::npos);
  EXPECT_NE(error_of("[listeners.a]\nmin_tls = \"ssl3\"\n").find("tls12"), std::string::npos);
  EXPECT_NE(error_of("[listeners.a]\n[routes.r]\nlisteners = [\"b\"]\naccount = \"x\"\n")
                .find("not defined"),
            std::string::npos);
  EXPECT_NE(error_of("[listeners.a]\n[routes.r]\naccount = \"x\"\n").find("matches nothing"),
            std::string::npos);
  EXPECT_NE(error_of("hostname = \"x\"\n").find("nothing to listen on"), std::string::npos);
  EXPECT_NE(error_of("max_recipients = 5\n[listeners.a]\n").find("max_recipients"),
            std::string::npos);
}

TEST(RelayConfigTest, ReadsTheSenderRewriteKeys) {
  auto config = parse(R"([listeners.a]
[routes.mailbox]
senders = ["scanner@contoso.com"]
account = "a"
rewrite_envelope_from = true
rewrite_from = "relay@contoso.com"
keep_original_in_reply_to = true
[routes.plain]
senders = ["contoso.com"]
account = "a"
)");
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  const SenderRewriteConfig& rewrite = config->routes[0].rewrite;
  EXPECT_TRUE(rewrite.envelope_from.enabled);
  EXPECT_EQ(rewrite.envelope_from.address, "") << "true: the account's mailbox";
  EXPECT_TRUE(rewrite.header_from.enabled);
  EXPECT_EQ(rewrite.header_from.address, "relay@contoso.com");
  EXPECT_TRUE(rewrite.keep_original_in_reply_to);
  EXPECT_EQ(config->routes[1].rewrite, SenderRewriteConfig{}) << "off unless asked";
}

TEST(RelayConfigTest, RefusesRewriteKeysThatCannotWork) {
  const std::string route = "[listeners.a]\n[routes.r]\nsenders = [\"x.com\"]\naccount = \"a\"\n";
  std::string error = error_of(route + "rewrite_from = \"Relay <relay@x.com>\"\n");
  EXPECT_NE(error.find("not an address the relay can write"), std::string::npos) << error;
  EXPECT_NE(error.find("relay.toml:"), std::string::npos) << error;
  error = error_of(route + "rewrite_envelope_from = \"a@x.com\\r\\nRCPT TO:<b@y>\"\n");
  EXPECT_NE(error.find("not an address"), std::string::npos) << error;
  error = error_of(route + "rewrite_from = 3\n");
  EXPECT_NE(error.find("true, false or an address"), std::string::npos) << error;
  error = error_of(route + "keep_original_in_reply_to = true\n");
  EXPECT_NE(error.find("does nothing without rewrite_from"), std::string::npos) << error;
}

TEST(RelayConfigTest, ReadsTransportAutoAndItsFallbackTime) {
  const std::string head = "[listeners.a]\n[routes.r]\nsenders = [\"x.com\"]\naccount = \"a\"\n";
  auto config = parse(head + "transport = \"auto\"\n");
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  EXPECT_EQ(config->routes[0].transport, delivery::Transport::Auto);
  EXPECT_EQ(config->routes[0].graph_fallback_time, std::chrono::hours(1)) << "the default";
  config = parse(head + "transport = \"auto\"\ngraph_fallback_time = 900\n");
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  EXPECT_EQ(config->routes[0].graph_fallback_time, std::chrono::minutes(15));

  std::string error = error_of(head + "transport = \"auto\"\ngraph_fallback_time = 0\n");
  EXPECT_NE(error.find("graph_fallback_time"), std::string::npos) << error;
  error = error_of(head + "transport = \"auto\"\ngraph_fallback_time = \"1h\"\n");
  EXPECT_NE(error.find("graph_fallback_time"), std::string::npos) << error;
  for (const char* transport : {"smtp", "graph"}) {
    error = error_of(head + "transport = \"" + transport + "\"\ngraph_fallback_time = 60\n");
    EXPECT_NE(error.find("does nothing without transport = \"auto\""), std::string::npos) << error;
    EXPECT_NE(error.find("relay.toml:"), std::string::npos) << error;
  }
  error = error_of(head + "graph_fallback_time = 60\n");  // smtp by default
  EXPECT_NE(error.find("does nothing without transport"), std::string::npos) << error;
}

TEST(RelayConfigTest, RefusesSenderRewritingOnGraphAndAutoRoutes) {
  const std::string head = "[listeners.a]\n[routes.r]\nsenders = [\"x.com\"]\naccount = \"a\"\n";
  for (const char* transport : {"graph", "auto"}) {
    for (const char* key : {"rewrite_from = true\n", "rewrite_envelope_from = \"m@x.com\"\n"}) {
      const std::string error =
          error_of(head + "transport = \"" + transport + "\"\n" + std::string(key));
      EXPECT_NE(error.find("rewrites the sender"), std::string::npos) << error;
      EXPECT_NE(error.find("transport = \"smtp\""), std::string::npos) << error;
    }
  }
  EXPECT_TRUE(parse(head + "transport = \"smtp\"\nrewrite_from = true\n"));
}

TEST(RelayConfigTest, ReloadTakesRoutesAndAccountsAndNamesWhatNeedsARestart) {
  auto running = parse(R"(accounts = "/a.toml"
[listeners.lan]
port = 2525
[routes.old]
senders = ["old.test"]
account = "a"
)");
  auto loaded = parse(R"(accounts = "/b.toml"
max_sessions = 7
[listeners.lan]
port = 2526
[listeners.extra]
[routes.new]
senders = ["new.test"]
account = "b"
rewrite_from = true
)");
  ASSERT_TRUE(running && loaded);
  const std::vector<std::string> ignored = changes_needing_restart(*running, *loaded);
  EXPECT_EQ(ignored, (std::vector<std::string>{"limits", "listeners.lan", "listeners.extra"}));
  auto merged = with_reloaded_routes(*running, *loaded);
  ASSERT_TRUE(merged.has_value()) << merged.error().describe();
  EXPECT_EQ(merged->accounts, "/b.toml");
  ASSERT_EQ(merged->routes.size(), 1u);
  EXPECT_EQ(merged->routes[0].name, "new");
  EXPECT_TRUE(merged->routes[0].rewrite.header_from.enabled);
  EXPECT_EQ(merged->listeners[0].port, 2525) << "the running listener stays";
  EXPECT_EQ(merged->limits.max_sessions, running->limits.max_sessions);
  EXPECT_TRUE(changes_needing_restart(*running, *running).empty());
}

TEST(RelayConfigTest, ReloadRefusesRoutesNamingAListenerOnlyTheNewFileHas) {
  auto running = parse("[listeners.lan]\n");
  auto loaded = parse(R"([listeners.lan]
[listeners.dmz]
[routes.r]
listeners = ["dmz"]
account = "a"
)");
  ASSERT_TRUE(running && loaded);
  auto merged = with_reloaded_routes(*running, *loaded);
  ASSERT_FALSE(merged.has_value());
  EXPECT_NE(merged.error().describe().find("\"dmz\", which is not defined"), std::string::npos)
      << merged.error().describe();
}

// Delivery status notifications: on by default, per route off; their
// author and MAIL FROM; the delay warning off unless given, as seconds or
// with a unit, globally and per route (0 turns a global one off).
TEST(RelayConfigTest, ReadsTheBounceKeys) {
  auto config = parse(R"(delay_warning_time = "4h"
[listeners.a]
[routes.devices]
senders = ["scanner@contoso.com"]
account = "a"
bounces = false
[routes.people]
senders = ["contoso.com"]
account = "a"
bounce_from = "postmaster@contoso.com"
bounce_envelope_from = "null"
delay_warning_time = 1800
[routes.quiet]
users = ["erp"]
account = "a"
delay_warning_time = "0"
)");
  ASSERT_TRUE(config.has_value()) << config.error().describe();
  EXPECT_EQ(config->limits.delay_warning_time, std::chrono::hours(4));
  EXPECT_FALSE(config->routes[0].bounces);
  EXPECT_EQ(config->routes[0].bounce_envelope_from, BounceEnvelopeFrom::Mailbox);
  EXPECT_EQ(config->routes[0].delay_warning_time, std::nullopt) << "the global one";
  EXPECT_TRUE(config->routes[1].bounces) << "on by default";
  EXPECT_EQ(config->routes[1].bounce_from, "postmaster@contoso.com");
  EXPECT_EQ(config->routes[1].bounce_envelope_from, BounceEnvelopeFrom::Null);
  EXPECT_EQ(config->routes[1].delay_warning_time, std::chrono::minutes(30));
  EXPECT_EQ(config->routes[2].delay_warning_time, std::chrono::seconds(0));
  auto plain = parse("[listeners.a]\n");
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->limits.delay_warning_time, std::chrono::seconds(0)) << "off by default";
}

TEST(RelayConfigTest, RefusesBadBounceKeys) {
  const std::string route = "[listeners.a]\n[routes.r]\nsenders = [\"x.com\"]\naccount = \"a\"\n";
  std::string error = error_of(route + "bounce_from = \"a@x.com\\r\\nBcc: b@y\"\n");
  EXPECT_NE(error.find("not an address the relay can write"), std::string::npos) << error;
  error = error_of(route + "bounce_envelope_from = \"device\"\n");
  EXPECT_NE(error.find("\"mailbox\" or \"null\""), std::string::npos) << error;
  error = error_of(route + "delay_warning_time = \"4 hours\"\n");
  EXPECT_NE(error.find("a number of seconds or a duration"), std::string::npos) << error;
  error = error_of("delay_warning_time = \"40d\"\n[listeners.a]\n");
  EXPECT_NE(error.find("delay_warning_time"), std::string::npos) << error;
  error = error_of(route + "bounces = \"yes\"\n");
  EXPECT_NE(error.find("bounces"), std::string::npos) << error;
}

}  // namespace
}  // namespace mailoauth::relay
