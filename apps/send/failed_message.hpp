// Keeping a message that could not be sent, and saying loudly when even that
// failed. A kept message is a file in `<state>/failed/` (0600, directory
// 0700, written with atomic_write_file: fsync, rename, fsync the directory)
// in delivery::render_kept_message's format. Keeping can fail — `failed` is
// a file, the disk is full, the state directory is read-only — and then the
// message exists nowhere but in the caller's hands: the command must say so
// and exit with kExitNotKept, never 75, which sendmail's callers read as
// "queued" (PHP's mail() returns true for 75).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

#include "../mailoauth/commands.hpp"

namespace mailoauth::send {

// EX_CANTCREAT: the message was not sent and no copy of it could be made.
inline constexpr int kExitNotKept = 73;

// `<state>/failed`, created (0700) if missing.
core::Result<std::filesystem::path> failed_directory(const app::GlobalOptions& global);

// Writes the message with its envelope to `<state>/failed/<stamp>-<pid>-<id>.eml`.
core::Result<std::filesystem::path> keep_failed(const app::GlobalOptions& global,
                                                std::string_view envelope_from,
                                                const std::vector<std::string>& recipients,
                                                std::string_view message_id, std::string_view data);

// After a failed send: "the message was kept in PATH" and the failure's own
// exit code, or, when keeping failed too, the loud NOT kept lines (with the
// reason) and kExitNotKept.
int report_kept(const core::Result<std::filesystem::path>& kept, int failure_exit_code);

}  // namespace mailoauth::send
