// The words the queue tool and the running relay exchange over the control
// socket (<spool>/control.sock), with no I/O. One request line, one reply
// line, then the connection closes:
//
//   request:  retry ID | retry-all | retry-route ROUTE | hold ID | release ID
//             | delete ID | flush                                    + LF
//   reply:    ok COUNT TEXT                                          + LF
//             error CLASS CODE TEXT                                  + LF
//
// COUNT is how many messages the command touched; TEXT says what was done
// (or the error's message and remedy), with control characters escaped so it
// stays one line. A line is at most kMaxControlLine bytes; an id must be a
// queue id and a route name a printable word, so nothing a caller passes can
// name a file outside the spool or add a line. Why a socket at all (and not
// the tool changing files under a running relay): see control_listener.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::queue {

inline constexpr std::size_t kMaxControlLine = 4096;

enum class ControlVerb { Retry, RetryAll, RetryRoute, Hold, Release, Delete, Flush };
std::string_view to_string(ControlVerb verb);

struct ControlRequest {
  ControlVerb verb = ControlVerb::Flush;
  std::string argument;  // the id, or the route; empty for retry-all and flush
};

struct ControlOutcome {
  std::size_t count = 0;
  std::string text;
};

// Without the LF; queue.control_request (Config) for anything malformed.
core::Result<ControlRequest> parse_control_request(std::string_view line);
std::string encode_control_request(const ControlRequest& request);  // with LF

std::string encode_control_reply(const core::Result<ControlOutcome>& reply);  // with LF
// A reply line (without LF): the outcome, or the relay's error as it was
// sent; queue.control_reply (Bug) when the line is not a reply.
core::Result<ControlOutcome> parse_control_reply(std::string_view line);

bool is_route_word(std::string_view text);

}  // namespace mailoauth::queue
