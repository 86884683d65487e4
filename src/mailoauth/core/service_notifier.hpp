// Telling a service manager how the process is doing, the sd_notify(3)
// protocol without libsystemd: one datagram per message ("READY=1",
// "STATUS=...", "WATCHDOG=1", "STOPPING=1", "RELOADING=1") sent to the
// AF_UNIX socket named by $NOTIFY_SOCKET — a path ("/run/systemd/notify") or
// an abstract name ("@/org/freedesktop/systemd1/notify", '@' standing for the
// leading NUL byte).
//
// Shaped so that a program calls it unconditionally: without $NOTIFY_SOCKET
// (a terminal, a container, a test) the notifier is disabled and every call
// does nothing, so the same binary runs with and without systemd. The
// protocol is small enough that linking libsystemd (and its dependencies)
// for it is not worth it. from_environment() also unsets NOTIFY_SOCKET,
// WATCHDOG_USEC and WATCHDOG_PID, as sd_notify's unset_environment does, so
// a child process never speaks for us. Sending never blocks (a full socket
// drops the message: a status is overtaken by the next one) and never raises
// SIGPIPE. The settings' parsing (address, watchdog interval) is pure and
// unit-tested; the socket is an RAII handle.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::core {

// What the environment says, as text (empty: unset).
struct NotifyEnvironment {
  std::string notify_socket;  // $NOTIFY_SOCKET
  std::string watchdog_usec;  // $WATCHDOG_USEC
  std::string watchdog_pid;   // $WATCHDOG_PID
};

// The watchdog: pings are due every half of WATCHDOG_USEC (as sd_watchdog_enabled
// advises), when WATCHDOG_USEC is a positive number and WATCHDOG_PID is unset
// or names `own_pid`. nullopt otherwise (a malformed value included: a
// watchdog we cannot read is not ours to serve).
std::optional<std::chrono::microseconds> watchdog_ping_interval(
    const NotifyEnvironment& environment, long own_pid);

class ServiceNotifier {
 public:
  // Disabled: every call does nothing.
  ServiceNotifier() = default;
  // For $NOTIFY_SOCKET's value: empty gives a disabled notifier; a path
  // ("/...") or an abstract name ("@...") that fits sockaddr_un gives an
  // enabled one; anything else (relative, too long, "vsock:" which we do not
  // speak) is a Config error, so a misconfigured unit is noticed at start.
  static Result<ServiceNotifier> open(std::string_view notify_socket,
                                      std::optional<std::chrono::microseconds> watchdog = {});
  // The process environment: reads and unsets NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID.
  static Result<ServiceNotifier> from_environment();

  ServiceNotifier(ServiceNotifier&& other) noexcept;
  ServiceNotifier& operator=(ServiceNotifier&& other) noexcept;
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;
  ~ServiceNotifier();

  bool enabled() const { return socket_ >= 0; }
  // How often WATCHDOG=1 is due; nullopt: no watchdog asked for.
  std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  // Sends `state` (one or more "KEY=value" lines) as one datagram. Disabled:
  // nothing, success. A failure (the manager gone, a full socket) is returned
  // for the caller to log; it never stops the program.
  Result<void> notify(std::string_view state) const;
  Result<void> ready() const { return notify("READY=1"); }
  Result<void> stopping() const { return notify("STOPPING=1"); }
  Result<void> watchdog() const { return notify("WATCHDOG=1"); }
  // "STATUS=text" (a newline in text would start another assignment: made a space).
  Result<void> status(std::string_view text) const;
  // "RELOADING=1" with MONOTONIC_USEC (systemd 253's Type=notify-reload wants it).
  Result<void> reloading() const;

 private:
  int socket_ = -1;
  std::string address_;  // sockaddr_un's sun_path bytes (a leading NUL for an abstract name)
  std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace mailoauth::core
