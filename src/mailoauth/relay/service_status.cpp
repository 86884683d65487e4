// The watchdog and status timer; see service_status.hpp.
#include "mailoauth/relay/service_status.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailoauth::relay {

namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;

struct ServiceStatus::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, const core::ServiceNotifier* notifier_in,
       std::function<std::string()> describe_in, core::Logger* logger_in,
       ServiceStatusSettings settings_in)
      : timer(std::move(executor)),
        notifier(notifier_in),
        describe(std::move(describe_in)),
        logger(logger_in),
        settings(settings_in) {}

  asio::steady_timer timer;
  const core::ServiceNotifier* notifier;
  std::function<std::string()> describe;
  core::Logger* logger;
  ServiceStatusSettings settings;
  bool stopped = false;
  bool failure_logged = false;
  std::string last_status;
  Steady::time_point status_sent{};
  Steady::time_point watchdog_sent{};

  void sent(const core::Result<void>& result) {
    // Logged once: a manager that went away would otherwise fill the log.
    if (!result && !failure_logged) {
      failure_logged = true;
      logger->warn("the service manager's socket refused a notification",
                   {{"error", result.error().describe()}});
    }
  }

  void tick(Steady::time_point now) {
    const auto watchdog = notifier->watchdog_interval();
    if (watchdog && now - watchdog_sent >= *watchdog) {
      sent(notifier->watchdog());
      watchdog_sent = now;
    }
    const auto since = now - status_sent;
    if (since < settings.status_at_most) return;
    std::string status = describe();
    if (status != last_status || since >= settings.status_every) {
      sent(notifier->status(status));
      last_status = std::move(status);
      status_sent = now;
    }
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    // Wake often enough for both: the watchdog's interval and the status rate.
    auto period = std::chrono::duration_cast<Steady::duration>(settings.status_at_most);
    if (const auto watchdog = notifier->watchdog_interval()) {
      period = std::min(period, std::chrono::duration_cast<Steady::duration>(*watchdog));
    }
    boost::system::error_code ignored;
    while (!stopped) {
      tick(Steady::now());
      timer.expires_after(period);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
  }
};

ServiceStatus::ServiceStatus(asio::any_io_executor executor, const core::ServiceNotifier* notifier,
                             std::function<std::string()> describe, core::Logger* logger,
                             ServiceStatusSettings settings)
    : impl_(std::make_shared<Impl>(std::move(executor), notifier, std::move(describe), logger,
                                   settings)) {}

ServiceStatus::~ServiceStatus() {
  stop();
}

void ServiceStatus::start() {
  if (!impl_->notifier->enabled()) return;
  asio::co_spawn(impl_->timer.get_executor(), impl_->run(), asio::detached);
}

void ServiceStatus::stop() {
  impl_->stopped = true;
  impl_->timer.cancel();
}

}  // namespace mailoauth::relay
