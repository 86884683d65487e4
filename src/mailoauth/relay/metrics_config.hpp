// The relay's `[metrics]` table: where the Prometheus and health listener
// (metrics_http_server.hpp) listens, or nothing (the table or `listen`
// absent: no listener). Its own file so the metrics settings stay out of the
// listeners' and routes' code in relay_config.cpp, which calls it.
//
//   [metrics]
//   listen = "127.0.0.1:9469"     # or "[::1]:9469"; port 0: any free port (tests)
//
// An address, not a name: the listener binds it as written. Loopback is the
// default advice (docs/relay.md): /metrics says how much mail flows per
// route, which is nobody else's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/config.hpp"
#include "mailoauth/core/error.hpp"

namespace mailoauth::relay {

struct MetricsListen {
  std::string address;  // an IP address, without brackets
  std::uint16_t port = 0;
  bool operator==(const MetricsListen&) const = default;
};

// "127.0.0.1:9469", "[::1]:9469" → address and port; a Config error otherwise.
core::Result<MetricsListen> parse_metrics_listen(std::string_view text);

// The `[metrics]` table of the relay config's root; nullopt when there is
// none or it has no `listen`.
core::Result<std::optional<MetricsListen>> read_metrics_table(const core::ConfigSection& root);

}  // namespace mailoauth::relay
