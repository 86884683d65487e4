// atomic_write_file: replace a file so that after a crash at any instant the
// path holds either the complete old contents or the complete new contents, and
// once it returns success the new contents survive a power cut. The steps are the
// ones Postfix and every careful database use: write a temporary file in the same
// directory (created 0600-or-stricter, then set to the caller's mode before any
// byte is written), fsync it, rename it over the target, fsync the directory. Any
// failure removes the temporary file, leaves the old file untouched and comes back
// as an Error naming the step, the path and the errno text.
#pragma once

#include <filesystem>
#include <string_view>

#include <sys/types.h>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/system_calls.hpp"

namespace mailoauth::core {

Result<void> atomic_write_file(const std::filesystem::path& path, std::string_view contents,
                               mode_t mode, SystemCalls& calls = real_system_calls());

// fsync on a directory, so a rename or a new entry in it is durable.
Result<void> sync_directory(const std::filesystem::path& directory,
                            SystemCalls& calls = real_system_calls());

// The Error for a failed file operation: code "file.<step>", the path and the
// errno text in the message, a remedy for the usual causes (full disk,
// permissions, missing directory, read-only file system).
Error file_error(std::string_view step, const std::filesystem::path& path, int error_number);

// The class a failed system call deserves: full disks and I/O errors are
// Temporary (retry later, keep the data); permissions and missing directories are
// Config (an admin must act).
ErrorClass classify_errno(int error_number);

}  // namespace mailoauth::core
