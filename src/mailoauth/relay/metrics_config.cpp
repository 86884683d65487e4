// The `[metrics]` table; see metrics_config.hpp.
#include "mailoauth/relay/metrics_config.hpp"

#include <charconv>

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"
#include "mailoauth/relay/client_network.hpp"

namespace mailoauth::relay {

namespace {

core::Error bad_listen(std::string_view text, std::string_view why) {
  return core::Error(
      core::ErrorClass::Config, "relay.config",
      fmt::format("metrics listen \"{}\": {}", core::escape_control_characters(text), why),
      "write an address and a port, e.g. \"127.0.0.1:9469\" or \"[::1]:9469\"");
}

}  // namespace

core::Result<MetricsListen> parse_metrics_listen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return core::fail(bad_listen(text, "no port"));
  std::string_view address = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (address.starts_with('[') && address.ends_with(']')) {
    address = address.substr(1, address.size() - 2);
  } else if (address.find(':') != std::string_view::npos) {
    return core::fail(bad_listen(text, "an IPv6 address is written in brackets"));
  }
  if (!parse_ip_address(address)) return core::fail(bad_listen(text, "not an IP address"));
  unsigned port = 0;
  const auto [end, error] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || error != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return core::fail(bad_listen(text, "the port is a number from 0 to 65535"));
  }
  return MetricsListen{std::string(address), static_cast<std::uint16_t>(port)};
}

core::Result<std::optional<MetricsListen>> read_metrics_table(const core::ConfigSection& root) {
  auto table = root.optional_section("metrics");
  if (!table) return core::fail(table.error());
  if (!*table) return std::optional<MetricsListen>{};
  if (auto unknown = (*table)->reject_unknown_keys({"listen"}); !unknown) {
    return core::fail(unknown.error());
  }
  auto listen = (*table)->optional_string("listen");
  if (!listen) return core::fail(listen.error());
  if (!*listen) return std::optional<MetricsListen>{};
  auto parsed = parse_metrics_listen(**listen);
  if (!parsed) {
    core::Error error = parsed.error();
    return core::fail(core::Error(core::ErrorClass::Config, "relay.config",
                                  (*table)->location("listen") + ": " + error.message(),
                                  error.remedy()));
  }
  return std::optional<MetricsListen>(std::move(*parsed));
}

}  // namespace mailoauth::relay
