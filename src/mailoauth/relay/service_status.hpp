// The relay's side of the service manager's protocol (core::ServiceNotifier,
// sd_notify): a timer on the relay's event loop that sends WATCHDOG=1 every
// half of WatchdogSec and STATUS= with the queue and sessions.
//
// Shaped around the event loop on purpose: the pings come from a timer on
// the same io_context that runs every session and delivery, so a loop that
// is stuck (a blocking call, a busy coroutine) stops pinging and systemd's
// watchdog restarts the relay — a ping from a thread of its own would keep a
// hung relay "alive". STATUS= is sent when the text changes, at most once a
// second, and every 10 s regardless (a manager that missed one catches up);
// the text comes from a callback so this file knows nothing of queues.
// READY=1, RELOADING=1 and STOPPING=1 are the caller's: only it knows when
// listeners are bound, a reload is done or a stop begins. Asio-facing: part
// of mailoauth_net.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "mailoauth/core/log.hpp"
#include "mailoauth/core/service_notifier.hpp"

namespace mailoauth::relay {

struct ServiceStatusSettings {
  std::chrono::milliseconds status_every{10'000};   // STATUS= at least this often
  std::chrono::milliseconds status_at_most{1'000};  // and at most this often
};

class ServiceStatus {
 public:
  // `notifier` and `logger` must outlive this; `describe` is called on the
  // executor's thread for the STATUS= text.
  ServiceStatus(boost::asio::any_io_executor executor, const core::ServiceNotifier* notifier,
                std::function<std::string()> describe, core::Logger* logger,
                ServiceStatusSettings settings = {});
  ~ServiceStatus();
  ServiceStatus(const ServiceStatus&) = delete;
  ServiceStatus& operator=(const ServiceStatus&) = delete;

  // Starts the timer (nothing when the notifier is disabled).
  void start();
  // Stops the timer: no WATCHDOG=1 after this (the caller sends STOPPING=1).
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mailoauth::relay
