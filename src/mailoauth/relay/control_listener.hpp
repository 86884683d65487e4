// The running relay's end of the queue tool: a unix socket at
// <spool>/control.sock that takes one request line (queue/control_protocol)
// per connection and hands it to the scheduler, which makes the change
// itself. Why a socket rather than the tool editing files under a running
// relay: the scheduler keeps messages in memory (ready lists, retry timers,
// the one being delivered), so only it can hold a message without racing a
// worker that is about to start it, or refuse to delete the one it is
// sending. File locks per message would put a lock on the delivery path of
// every message for the sake of a rare admin command; the socket costs the
// delivery path nothing.
//
// Who may send commands: whoever can reach the socket. It is made 0600 right
// after bind, and it lives in the spool directory, which is 0700 and owned by
// the relay's user, so the file system admits that user (and root) only.
// The relay owns the spool's lock (queue/spool_lock) while it runs, so a
// socket file left by a relay that crashed is stale and removed at start.
// Each connection has a 5 s deadline to send its line; at most 8 are served
// at once (more wait in the backlog). Asio-facing: part of mailoauth_net.
#pragma once

#include <filesystem>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::relay {

class Scheduler;

class ControlListener {
 public:
  // Binds the socket (replacing a stale one). Config error when the path is
  // too long for a unix socket (108 bytes) or cannot be bound.
  static core::Result<std::unique_ptr<ControlListener>> open(boost::asio::any_io_executor executor,
                                                             std::filesystem::path socket,
                                                             Scheduler* scheduler,
                                                             core::Logger* logger);
  ~ControlListener();
  ControlListener(const ControlListener&) = delete;
  ControlListener& operator=(const ControlListener&) = delete;

  void start();
  // Closes the socket and removes its file; connections being served finish.
  void stop();

  struct Impl;

 private:
  explicit ControlListener(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace mailoauth::relay
