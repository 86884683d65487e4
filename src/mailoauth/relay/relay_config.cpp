// Reading relay.toml into RelayConfig (relay_config.hpp): one function per
// table, each refusing unknown keys and bad values with the file and line,
// then the whole-file checks (never an open relay, routes that tie).
#include "mailoauth/relay/relay_config.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "mailoauth/core/config.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::relay {
namespace {

using core::ConfigSection;
using core::ErrorClass;

constexpr std::string_view kDefaultConfig =
    R"(# mailoauth relay: plain SMTP in, OAuth2 out (docs/relay.md).
hostname = "localhost"
spool_directory = "/var/spool/mailoauth"
users_file = "/etc/mailoauth/relay-users"

# Only this machine may connect until you say otherwise.
[listeners.local]
address = "127.0.0.1"
port = 2525
tls = "none"
clients = ["127.0.0.1", "::1"]
auth = "optional"
)";

core::Error config_error(std::string location, std::string message, std::string remedy = {}) {
  return core::Error(ErrorClass::Config, "relay.config", location + ": " + message,
                     std::move(remedy));
}

template <typename T>
core::Result<T> with_location(core::Result<T> result, const ConfigSection& section,
                              std::string_view key) {
  if (!result) {
    core::Error error = result.error();
    return core::fail(config_error(section.location(key), error.message(), error.remedy()));
  }
  return result;
}

core::Result<void> read_string(const ConfigSection& section, std::string_view key,
                               std::string& target) {
  auto value = section.optional_string(key);
  if (!value) return core::fail(value.error());
  if (*value) target = **value;
  return {};
}

core::Result<void> read_path(const ConfigSection& section, std::string_view key,
                             std::filesystem::path& target) {
  std::string text;
  if (auto read = read_string(section, key, text); !read) return read;
  if (!text.empty()) target = text;
  return {};
}

template <typename T>
core::Result<void> read_integer(const ConfigSection& section, std::string_view key,
                                std::int64_t minimum, std::int64_t maximum, T& target) {
  auto value = section.optional_integer(key, minimum, maximum);
  if (!value) return core::fail(value.error());
  if (*value) target = static_cast<T>(**value);
  return {};
}

core::Result<void> read_seconds(const ConfigSection& section, std::string_view key,
                                std::int64_t minimum, std::chrono::seconds& target) {
  std::int64_t seconds = target.count();
  if (auto read = read_integer(section, key, minimum, 86400, seconds); !read) return read;
  target = std::chrono::seconds(seconds);
  return {};
}

// A duration: an integer of seconds, or a string with a unit ("90s", "30m",
// "4h", "2d"), as Postfix writes delay_warning_time.
core::Result<std::optional<std::chrono::seconds>> read_duration(const ConfigSection& section,
                                                                std::string_view key,
                                                                std::int64_t maximum) {
  if (auto number = section.optional_integer(key, 0, maximum)) {
    if (!*number) return std::optional<std::chrono::seconds>{};
    return std::optional<std::chrono::seconds>{std::chrono::seconds(**number)};
  }
  auto text = section.optional_string(key);
  const auto refused = [&] {
    return core::fail(config_error(section.location(key),
                                   fmt::format("{} is a number of seconds or a duration", key),
                                   "write e.g. 14400, \"4h\", \"30m\" or \"1d\" (0: off)"));
  };
  if (!text || !*text || (*text)->empty()) return refused();
  const std::string& value = **text;
  std::int64_t unit = 1;
  std::string_view digits = value;
  if (value.back() < '0' || value.back() > '9') {
    static constexpr std::array<std::pair<char, std::int64_t>, 5> kUnits{
        {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}}};
    const auto found = std::find_if(kUnits.begin(), kUnits.end(),
                                    [&](const auto& entry) { return entry.first == value.back(); });
    if (found == kUnits.end()) return refused();
    unit = found->second;
    digits.remove_suffix(1);
  }
  if (digits.empty() || digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return refused();
  }
  const std::int64_t seconds = std::stoll(std::string(digits)) * unit;
  if (seconds > maximum) return refused();
  return std::optional<std::chrono::seconds>{std::chrono::seconds(seconds)};
}

core::Result<RelayLimits> read_limits(const ConfigSection& root) {
  RelayLimits limits;
  // RFC 5321 4.5.3.1.7 asks for at least 64 KiB of message; 4.5.3.1.8: 100 recipients.
  if (auto r = read_integer(root, "max_message_size", 65536, std::int64_t{1} << 40,
                            limits.max_message_size);
      !r)
    return core::fail(r.error());
  if (auto r = read_integer(root, "max_recipients", 100, 100000, limits.max_recipients); !r)
    return core::fail(r.error());
  if (auto r = read_integer(root, "max_sessions", 1, 100000, limits.max_sessions); !r)
    return core::fail(r.error());
  if (auto r =
          read_integer(root, "max_sessions_per_client", 1, 100000, limits.max_sessions_per_client);
      !r)
    return core::fail(r.error());
  if (auto r = read_integer(root, "max_errors", 1, 1000, limits.max_errors); !r)
    return core::fail(r.error());
  // Shorter than RFC 5321's minimums is allowed (tests, hostile networks), not below 1 s.
  if (auto r = read_seconds(root, "command_timeout", 1, limits.command_timeout); !r)
    return core::fail(r.error());
  if (auto r = read_seconds(root, "data_timeout", 1, limits.data_timeout); !r)
    return core::fail(r.error());
  if (auto r = read_seconds(root, "shutdown_grace", 0, limits.shutdown_grace); !r)
    return core::fail(r.error());
  if (auto r =
          read_integer(root, "auth_failures_per_client", 0, 1000, limits.auth_failures_per_client);
      !r)
    return core::fail(r.error());
  if (auto r = read_seconds(root, "auth_failure_window", 1, limits.auth_failure_window); !r)
    return core::fail(r.error());
  if (auto r = read_seconds(root, "first_retry", 1, limits.first_retry); !r)
    return core::fail(r.error());
  std::int64_t lifetime = limits.queue_lifetime.count();  // up to 30 days
  if (auto r = read_integer(root, "queue_lifetime", 60, 30 * 86400, lifetime); !r)
    return core::fail(r.error());
  limits.queue_lifetime = std::chrono::seconds(lifetime);
  auto warning = read_duration(root, "delay_warning_time", 30 * 86400);
  if (!warning) return core::fail(warning.error());
  if (*warning) limits.delay_warning_time = **warning;
  std::int64_t pause = limits.greeting_pause.count();
  if (auto r = read_integer(root, "greeting_pause_ms", 0, 60000, pause); !r)
    return core::fail(r.error());
  limits.greeting_pause = std::chrono::milliseconds(pause);
  return limits;
}

core::Result<net::TlsVersion> parse_min_tls(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, net::TlsVersion>, 4> kVersions{{
      {"tls10", net::TlsVersion::Tls10},
      {"tls11", net::TlsVersion::Tls11},
      {"tls12", net::TlsVersion::Tls12},
      {"tls13", net::TlsVersion::Tls13},
  }};
  for (const auto& [word, version] : kVersions) {
    if (text == word) return version;
  }
  return core::fail(
      ErrorClass::Config, "relay.config",
      fmt::format("unknown TLS version \"{}\"", core::escape_control_characters(text)),
      "use tls10, tls11, tls12 (the default) or tls13");
}

core::Result<AuthPolicy> parse_auth_policy(std::string_view text) {
  if (text == "off") return AuthPolicy::Off;
  if (text == "optional") return AuthPolicy::Optional;
  if (text == "required") return AuthPolicy::Required;
  return core::fail(
      ErrorClass::Config, "relay.config",
      fmt::format("unknown auth policy \"{}\"", core::escape_control_characters(text)),
      "use off, optional or required");
}

constexpr std::array<std::string_view, 9> kListenerKeys{
    "address", "port",    "tls",  "certificate",         "key",
    "min_tls", "clients", "auth", "allow_plaintext_auth"};

core::Result<void> read_listener_words(const ConfigSection& section, ListenerConfig& listener) {
  if (auto tls = section.optional_string("tls"); !tls) {
    return core::fail(tls.error());
  } else if (*tls) {
    auto mode = with_location(delivery::parse_tls_mode(**tls), section, "tls");
    if (!mode) return core::fail(mode.error());
    listener.tls = *mode;
  }
  if (auto min_tls = section.optional_string("min_tls"); !min_tls) {
    return core::fail(min_tls.error());
  } else if (*min_tls) {
    auto version = with_location(parse_min_tls(**min_tls), section, "min_tls");
    if (!version) return core::fail(version.error());
    listener.min_tls = *version;
  }
  if (auto auth = section.optional_string("auth"); !auth) {
    return core::fail(auth.error());
  } else if (*auth) {
    auto policy = with_location(parse_auth_policy(**auth), section, "auth");
    if (!policy) return core::fail(policy.error());
    listener.auth = *policy;
  }
  return {};
}

core::Result<ListenerConfig> read_listener(const std::string& name, const ConfigSection& section) {
  if (auto unknown = section.reject_unknown_keys(kListenerKeys); !unknown) {
    return core::fail(unknown.error());
  }
  ListenerConfig listener;
  listener.name = name;
  if (auto r = read_string(section, "address", listener.address); !r) return core::fail(r.error());
  if (!parse_ip_address(listener.address)) {
    return core::fail(config_error(section.location("address"),
                                   fmt::format("\"{}\" is not an IP address",
                                               core::escape_control_characters(listener.address)),
                                   "write an address such as 127.0.0.1, 0.0.0.0 or ::"));
  }
  if (auto r = read_integer(section, "port", 0, 65535, listener.port); !r)
    return core::fail(r.error());
  if (auto r = read_listener_words(section, listener); !r) return core::fail(r.error());
  if (auto r = read_string(section, "certificate", listener.certificate); !r)
    return core::fail(r.error());
  if (auto r = read_string(section, "key", listener.key); !r) return core::fail(r.error());
  if (listener.key.empty()) listener.key = listener.certificate;
  auto plaintext = section.optional_bool("allow_plaintext_auth");
  if (!plaintext) return core::fail(plaintext.error());
  listener.allow_plaintext_auth = plaintext->value_or(false);
  auto clients = section.optional_string_list("clients");
  if (!clients) return core::fail(clients.error());
  for (const std::string& text : clients->value_or(std::vector<std::string>{})) {
    auto network = with_location(parse_client_network(text), section, "clients");
    if (!network) return core::fail(network.error());
    listener.clients.push_back(std::move(*network));
  }
  if (listener.tls != delivery::TlsMode::None && listener.certificate.empty()) {
    return core::fail(
        config_error(section.location("tls"),
                     fmt::format("listener \"{}\" uses TLS ({}) but has no certificate", name,
                                 delivery::to_string(listener.tls)),
                     "set certificate (and key) to PEM files, or tls = \"none\""));
  }
  if (auto open = check_not_open_relay(listener, section.location()); !open)
    return core::fail(open.error());
  return listener;
}

constexpr std::array<std::string_view, 22> kRouteKeys{"senders",
                                                      "users",
                                                      "listeners",
                                                      "account",
                                                      "transport",
                                                      "server",
                                                      "port",
                                                      "tls",
                                                      "mechanism",
                                                      "connections",
                                                      "messages_per_minute",
                                                      "pipeline_messages",
                                                      "rewrite_envelope_from",
                                                      "rewrite_from",
                                                      "keep_original_in_reply_to",
                                                      "bounces",
                                                      "bounce_from",
                                                      "bounce_envelope_from",
                                                      "delay_warning_time",
                                                      "graph_fallback_time",
                                                      "description",
                                                      "comment"};

// rewrite_envelope_from / rewrite_from: true (the account's mailbox), false,
// or the address to write.
core::Result<RewriteTarget> read_rewrite_target(const ConfigSection& section,
                                                std::string_view key) {
  RewriteTarget target;
  if (auto flag = section.optional_bool(key)) {
    target.enabled = flag->value_or(false);
    return target;
  }
  auto address = section.optional_string(key);
  if (!address) {
    return core::fail(config_error(section.location(key),
                                   fmt::format("{} is true, false or an address", key),
                                   "write true (the route's account mailbox) or an address "
                                   "such as \"mailbox@contoso.com\""));
  }
  if (!is_rewrite_address(**address)) {
    return core::fail(config_error(section.location(key),
                                   fmt::format("\"{}\" is not an address the relay can write",
                                               core::escape_control_characters(**address)),
                                   "write a plain address such as \"mailbox@contoso.com\""));
  }
  target.enabled = true;
  target.address = std::move(**address);
  return target;
}

core::Result<SenderRewriteConfig> read_route_rewrite(const ConfigSection& section) {
  SenderRewriteConfig rewrite;
  auto envelope = read_rewrite_target(section, "rewrite_envelope_from");
  if (!envelope) return core::fail(envelope.error());
  rewrite.envelope_from = std::move(*envelope);
  auto header = read_rewrite_target(section, "rewrite_from");
  if (!header) return core::fail(header.error());
  rewrite.header_from = std::move(*header);
  auto keep = section.optional_bool("keep_original_in_reply_to");
  if (!keep) return core::fail(keep.error());
  rewrite.keep_original_in_reply_to = keep->value_or(false);
  if (rewrite.keep_original_in_reply_to && !rewrite.header_from.enabled) {
    return core::fail(config_error(section.location("keep_original_in_reply_to"),
                                   "keep_original_in_reply_to does nothing without rewrite_from",
                                   "set rewrite_from = true, or remove the key"));
  }
  return rewrite;
}

core::Result<void> read_route_transport(const ConfigSection& section, RouteConfig& route) {
  if (auto transport = section.optional_string("transport"); !transport) {
    return core::fail(transport.error());
  } else if (*transport) {
    auto parsed = with_location(delivery::parse_transport(**transport), section, "transport");
    if (!parsed) return core::fail(parsed.error());
    route.transport = *parsed;
  }
  if (auto tls = section.optional_string("tls"); !tls) {
    return core::fail(tls.error());
  } else if (*tls) {
    auto mode = with_location(delivery::parse_tls_mode(**tls), section, "tls");
    if (!mode) return core::fail(mode.error());
    route.tls = *mode;
  }
  if (auto r = read_string(section, "server", route.server); !r) return r;
  if (auto r = read_integer(section, "port", 1, 65535, route.port); !r) return r;
  if (auto r = read_string(section, "mechanism", route.mechanism); !r) return r;
  if (auto r = read_integer(section, "connections", 1, 100, route.connections); !r) return r;
  auto pipeline = section.optional_bool("pipeline_messages");
  if (!pipeline) return core::fail(pipeline.error());
  route.pipeline_messages = pipeline->value_or(false);
  return read_integer(section, "messages_per_minute", 1, 100000, route.messages_per_minute);
}

// bounces, bounce_from, bounce_envelope_from, delay_warning_time.
core::Result<void> read_route_bounces(const ConfigSection& section, RouteConfig& route) {
  auto bounces = section.optional_bool("bounces");
  if (!bounces) return core::fail(bounces.error());
  route.bounces = bounces->value_or(true);
  if (auto r = read_string(section, "bounce_from", route.bounce_from); !r) return r;
  if (!route.bounce_from.empty() && !is_rewrite_address(route.bounce_from)) {
    return core::fail(config_error(section.location("bounce_from"),
                                   fmt::format("\"{}\" is not an address the relay can write",
                                               core::escape_control_characters(route.bounce_from)),
                                   "write a plain address such as \"postmaster@contoso.com\""));
  }
  std::string envelope;
  if (auto r = read_string(section, "bounce_envelope_from", envelope); !r) return r;
  if (envelope == "null") {
    route.bounce_envelope_from = BounceEnvelopeFrom::Null;
  } else if (!envelope.empty() && envelope != "mailbox") {
    return core::fail(config_error(section.location("bounce_envelope_from"),
                                   "bounce_envelope_from is \"mailbox\" or \"null\"",
                                   "\"mailbox\": the route's mailbox (or bounce_from); \"null\": "
                                   "<>, for an upstream that takes it"));
  }
  auto warning = read_duration(section, "delay_warning_time", 30 * 86400);
  if (!warning) return core::fail(warning.error());
  route.delay_warning_time = *warning;
  return {};
}

core::Result<RouteConfig> read_route(const std::string& name, const ConfigSection& section) {
  if (auto unknown = section.reject_unknown_keys(kRouteKeys); !unknown) {
    return core::fail(unknown.error());
  }
  RouteConfig route;
  route.name = name;
  for (auto [key, target] :
       {std::pair{"senders", &route.match.senders}, std::pair{"users", &route.match.users},
        std::pair{"listeners", &route.match.listeners}}) {
    auto list = section.optional_string_list(key);
    if (!list) return core::fail(list.error());
    if (*list) *target = **list;
  }
  auto account = section.required_string("account");
  if (!account) return core::fail(account.error());
  route.account = *account;
  if (auto r = read_route_transport(section, route); !r) return core::fail(r.error());
  auto rewrite = read_route_rewrite(section);
  if (!rewrite) return core::fail(rewrite.error());
  route.rewrite = std::move(*rewrite);
  if (auto r = read_route_bounces(section, route); !r) return core::fail(r.error());
  // auto: the Graph leg cannot rewrite either, and a message rewritten by
  // one leg and not the other would leave with two different senders.
  if (route.transport != delivery::Transport::Smtp &&
      (route.rewrite.header_from.enabled || route.rewrite.envelope_from.enabled)) {
    return core::fail(config_error(
        section.location(route.rewrite.header_from.enabled ? "rewrite_from"
                                                           : "rewrite_envelope_from"),
        fmt::format("route \"{}\" rewrites the sender, which Graph routes (and the Graph leg of "
                    "transport = \"auto\") do not do yet",
                    name),
        "remove the rewrite keys (Graph sends as the account's mailbox; a From: it may not "
        "send as is refused with ErrorSendAsDenied), or use transport = \"smtp\""));
  }
  if (auto r = read_seconds(section, "graph_fallback_time", 1, route.graph_fallback_time); !r) {
    return core::fail(r.error());
  }
  if (section.contains("graph_fallback_time") && route.transport != delivery::Transport::Auto) {
    return core::fail(config_error(section.location("graph_fallback_time"),
                                   "graph_fallback_time does nothing without transport = \"auto\"",
                                   "set transport = \"auto\", or remove the key"));
  }
  if (route.match.senders.empty() && route.match.users.empty() && route.match.listeners.empty()) {
    return core::fail(config_error(section.location(),
                                   fmt::format("route \"{}\" matches nothing", name),
                                   "give it senders, users or listeners to match"));
  }
  return route;
}

core::Result<void> check_route_references(const RelayConfig& config, std::string_view where) {
  for (const RouteConfig& route : config.routes) {
    for (const std::string& listener : route.match.listeners) {
      const bool known = std::any_of(config.listeners.begin(), config.listeners.end(),
                                     [&](const ListenerConfig& l) { return l.name == listener; });
      if (!known) {
        return core::fail(
            config_error(std::string(where),
                         fmt::format("route \"{}\" names listener \"{}\", which is not defined",
                                     route.name, core::escape_control_characters(listener)),
                         "define [listeners." + listener + "] or fix the name"));
      }
    }
  }
  return {};
}

core::Result<void> read_tables(const ConfigSection& root, RelayConfig& config) {
  for (auto [key, is_listener] : {std::pair{"listeners", true}, std::pair{"routes", false}}) {
    auto table = root.optional_section(key);
    if (!table) return core::fail(table.error());
    if (!*table) continue;
    for (const auto& [name, section] : (*table)->sections()) {
      if (is_listener) {
        auto listener = read_listener(name, section);
        if (!listener) return core::fail(listener.error());
        config.listeners.push_back(std::move(*listener));
      } else {
        auto route = read_route(name, section);
        if (!route) return core::fail(route.error());
        config.routes.push_back(std::move(*route));
      }
    }
  }
  return {};
}

}  // namespace

std::string_view to_string(AuthPolicy policy) {
  switch (policy) {
    case AuthPolicy::Off:
      return "off";
    case AuthPolicy::Optional:
      return "optional";
    case AuthPolicy::Required:
      return "required";
  }
  return "?";
}

std::vector<RouteMatch> RelayConfig::route_matches() const {
  std::vector<RouteMatch> matches;
  for (const RouteConfig& route : routes) matches.push_back(route.match);
  return matches;
}

std::vector<std::string> RelayConfig::route_names() const {
  std::vector<std::string> names;
  for (const RouteConfig& route : routes) names.push_back(route.name);
  return names;
}

core::Result<void> check_not_open_relay(const ListenerConfig& listener, std::string_view where) {
  if (listener.auth == AuthPolicy::Required) return {};
  for (const ClientNetwork& network : listener.clients) {
    if (network.is_everything()) {
      return core::fail(config_error(
          std::string(where),
          fmt::format("listener \"{}\" would accept unauthenticated mail from anywhere "
                      "(clients contains {}): the relay is never an open relay",
                      listener.name, network.text),
          "list only your own networks in clients, or set auth = \"required\""));
    }
  }
  return {};
}

core::Result<RelayConfig> parse_relay_config(std::string_view text, std::string source_name) {
  auto document = core::ConfigDocument::parse(text, source_name);
  if (!document) return core::fail(document.error());
  const ConfigSection root = document->root();
  if (auto unknown = root.reject_unknown_keys({"hostname",
                                               "spool_directory",
                                               "users_file",
                                               "accounts",
                                               "max_message_size",
                                               "max_recipients",
                                               "max_sessions",
                                               "max_sessions_per_client",
                                               "max_errors",
                                               "command_timeout",
                                               "data_timeout",
                                               "shutdown_grace",
                                               "greeting_pause_ms",
                                               "first_retry",
                                               "queue_lifetime",
                                               "delay_warning_time",
                                               "auth_failures_per_client",
                                               "auth_failure_window",
                                               "listeners",
                                               "routes",
                                               "metrics"});
      !unknown) {
    return core::fail(unknown.error());
  }
  RelayConfig config;
  config.source = source_name;
  if (auto r = read_string(root, "hostname", config.hostname); !r) return core::fail(r.error());
  if (auto r = read_path(root, "spool_directory", config.spool_directory); !r)
    return core::fail(r.error());
  if (auto r = read_path(root, "users_file", config.users_file); !r) return core::fail(r.error());
  if (auto r = read_path(root, "accounts", config.accounts); !r) return core::fail(r.error());
  auto limits = read_limits(root);
  if (!limits) return core::fail(limits.error());
  config.limits = *limits;
  if (auto r = read_tables(root, config); !r) return core::fail(r.error());
  auto metrics = read_metrics_table(root);
  if (!metrics) return core::fail(metrics.error());
  config.metrics = std::move(*metrics);
  if (config.listeners.empty()) {
    return core::fail(config_error(source_name, "no [listeners.NAME] table: nothing to listen on",
                                   "add one, e.g. [listeners.local] address = \"127.0.0.1\""));
  }
  if (auto references = check_route_references(config, root.location()); !references) {
    return core::fail(references.error());
  }
  if (auto routes = check_routes(config.route_matches(), config.route_names()); !routes) {
    core::Error error = routes.error();
    return core::fail(config_error(source_name, error.message(), error.remedy()));
  }
  return config;
}

core::Result<RelayConfig> load_relay_config(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return core::fail(ErrorClass::Config, "relay.config",
                      fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)),
                      "pass the relay's configuration with --config FILE");
  }
  std::string text;
  text.resize(core::ConfigDocument::kMaxSize + 1);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(file.gcount()));
  if (text.size() > core::ConfigDocument::kMaxSize) {
    return core::fail(ErrorClass::Config, "relay.config",
                      fmt::format("{} is larger than 4 MiB", path.string()));
  }
  return parse_relay_config(text, path.string());
}

namespace {

bool same_listener(const ListenerConfig& a, const ListenerConfig& b) {
  const auto texts = [](const ListenerConfig& listener) {
    std::vector<std::string> out;
    for (const ClientNetwork& network : listener.clients) out.push_back(network.text);
    return out;
  };
  return a.name == b.name && a.address == b.address && a.port == b.port && a.tls == b.tls &&
         a.certificate == b.certificate && a.key == b.key && a.min_tls == b.min_tls &&
         a.auth == b.auth && a.allow_plaintext_auth == b.allow_plaintext_auth &&
         texts(a) == texts(b);
}

}  // namespace

std::vector<std::string> changes_needing_restart(const RelayConfig& running,
                                                 const RelayConfig& loaded) {
  std::vector<std::string> changed;
  if (running.hostname != loaded.hostname) changed.emplace_back("hostname");
  if (running.spool_directory != loaded.spool_directory) changed.emplace_back("spool_directory");
  if (running.users_file != loaded.users_file) changed.emplace_back("users_file");
  if (running.metrics != loaded.metrics) changed.emplace_back("metrics");
  if (!(running.limits == loaded.limits)) changed.emplace_back("limits");
  for (const ListenerConfig& old : running.listeners) {
    const auto found = std::find_if(loaded.listeners.begin(), loaded.listeners.end(),
                                    [&](const ListenerConfig& l) { return l.name == old.name; });
    if (found == loaded.listeners.end() || !same_listener(old, *found)) {
      changed.push_back("listeners." + old.name);
    }
  }
  for (const ListenerConfig& fresh : loaded.listeners) {
    const bool known = std::any_of(running.listeners.begin(), running.listeners.end(),
                                   [&](const ListenerConfig& l) { return l.name == fresh.name; });
    if (!known) changed.push_back("listeners." + fresh.name);
  }
  return changed;
}

core::Result<RelayConfig> with_reloaded_routes(const RelayConfig& running,
                                               const RelayConfig& loaded) {
  RelayConfig merged = running;
  merged.routes = loaded.routes;
  merged.accounts = loaded.accounts;
  if (auto references = check_route_references(merged, loaded.source); !references) {
    core::Error error = references.error();
    error.context("the running listeners are kept until a restart");
    return core::fail(std::move(error));
  }
  return merged;
}

std::string_view default_relay_config() {
  return kDefaultConfig;
}

}  // namespace mailoauth::relay
