// The queue tool's side of the control socket: connect to the running
// relay's <spool>/control.sock, send one request line, read one reply line,
// all within a deadline (poll(2) on a non-blocking socket, so a relay that
// hangs cannot hang the tool). Plain POSIX: the queue tool links no Asio.
#pragma once

#include <chrono>
#include <filesystem>

#include "mailoauth/core/error.hpp"
#include "mailoauth/queue/control_protocol.hpp"

namespace mailoauth::queue {

// queue.control_unavailable (Temporary) when nobody listens on the socket
// (the relay is starting, stopping, or runs without a control socket);
// queue.control_timeout (Temporary) when the answer does not come in time;
// the relay's own error when it refused the command.
core::Result<ControlOutcome> send_control_request(const std::filesystem::path& socket,
                                                  const ControlRequest& request,
                                                  std::chrono::milliseconds deadline);

}  // namespace mailoauth::queue
