// The queue tool's changes to one message, done on the spool's files: hold,
// release, delete, and "try again now" (the next attempt cleared). Two callers
// use exactly these functions: the queue tool itself when no relay runs (it
// holds the spool lock, so nothing else touches the files), and the running
// relay's scheduler, on its thread pool, when the tool asked through the
// control socket (the scheduler first makes sure it is not delivering the
// message and will not start to). One implementation, so a held message looks
// the same whoever held it.
//
// Each change keeps the spool's crash rules: the state is written atomically
// before a file moves, and the order of the steps is chosen so that a crash
// between them leaves the message held rather than delivered:
//   hold:    state hold=1 in queue/, then queue/ -> hold/
//            (a crash between: queue/ with hold=1, which the relay skips)
//   release: state hold=0 and no next attempt in hold/, then hold/ -> queue/
//            (a crash between: still in hold/, where the relay never looks)
//   delete:  the content first, then the state (Spool::remove)
// Synchronous plain POSIX through Spool; never called on an event loop.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/queue/spool.hpp"

namespace mailoauth::queue {

// Where a message is (queue/, hold/, failed/ or corrupt/);
// queue.no_such_message (Permanent) when nowhere.
core::Result<Place> locate_message(Spool& spool, std::string_view id);

// Each answers one line saying what was done ("held", "already held", ...).
core::Result<std::string> hold_message(Spool& spool, std::string_view id);
core::Result<std::string> release_message(Spool& spool, std::string_view id);
core::Result<std::string> delete_message(Spool& spool, std::string_view id);
// Clears the next attempt of a message in queue/, so the relay tries it at
// once when it starts (the direct form of `retry`).
core::Result<std::string> clear_next_attempt(Spool& spool, std::string_view id);

}  // namespace mailoauth::queue
