// The relay's metrics and health listener: a small HTTP/1.1 server on the
// relay's own event loop (Boost.Beast, C++20 coroutines), for Prometheus and
// for whatever checks liveness and readiness (systemd, a load balancer,
// Kubernetes probes):
//
//   GET /metrics   the Prometheus text exposition (relay_metrics.hpp)
//   GET /healthz   200 "ok": answered by the event loop itself, so a loop
//                  that is stuck is a probe that times out
//   GET /readyz    200 "ready", or 503 with the reason: the spool cannot be
//                  written (a file created and removed in incoming/, on a
//                  thread), or the relay is stopping. The SMTP listeners are
//                  bound before this listener opens.
//   HEAD           the same without a body; other methods 405, other paths 404
//
// Hostile or broken clients cost a bounded amount: the request (line and
// headers) is at most 8 KiB and a body at most 1 KiB (Beast's parser limits:
// no HTTP parsing is written here), each request must arrive and its answer
// leave within a deadline (5 s), at most 16 connections are served at once
// (the others wait in the listen backlog), and a connection serves at most
// 100 requests. Nothing here blocks the loop: the queue gauges come from
// queue::take_spool_census (directory listings) run on this listener's own
// thread at most every 5 s however often it is scraped, and the spool probe
// runs there too; while one is running, others answer from the last result.
// Asio-facing: part of mailoauth_net.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/relay/metrics_config.hpp"
#include "mailoauth/relay/relay_metrics.hpp"

namespace mailoauth::relay {

struct MetricsServerServices {
  RelayMetrics* metrics = nullptr;
  core::Logger* logger = nullptr;
  std::filesystem::path spool_directory;
  // On the event loop: why the relay is not ready apart from the spool
  // (e.g. "stopping"); nullopt: nothing against it.
  std::function<std::optional<std::string>()> not_ready;
};

struct MetricsServerLimits {
  std::size_t max_connections = 16;
  std::chrono::milliseconds request_deadline{5000};
  std::uint32_t max_header_bytes = 8192;
  std::uint64_t max_body_bytes = 1024;
  unsigned max_requests_per_connection = 100;
  std::chrono::milliseconds census_interval{5000};  // queue gauges at most this often
  std::chrono::milliseconds probe_interval{1000};   // the spool probe at most this often
};

class MetricsServer {
 public:
  // Binds the address (a Config error naming it when it cannot be bound).
  static core::Result<std::unique_ptr<MetricsServer>> open(boost::asio::any_io_executor executor,
                                                           const MetricsListen& listen,
                                                           MetricsServerServices services,
                                                           MetricsServerLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Logs `metrics listening address=...` and serves.
  void start();
  // No new connections; requests being served finish.
  void stop();
  std::uint16_t port() const;

  struct Impl;

 private:
  MetricsServer(std::shared_ptr<Impl> impl, std::unique_ptr<boost::asio::thread_pool> pool);
  std::unique_ptr<boost::asio::thread_pool> pool_;
  std::shared_ptr<Impl> impl_;
};

// Creates and removes a file in the spool's incoming/ (where messages are
// written first): Ok when the spool can take a message now. Blocking.
core::Result<void> probe_spool_writable(const std::filesystem::path& spool);

}  // namespace mailoauth::relay
