// Why a file mailoauth needs (a store key, a client secret) cannot be read,
// in words an admin can act on: the errno name and text, the file's owner
// and mode, or, when the file cannot even be looked at, the first directory
// on its path that is closed to this user with that directory's owner and
// mode ("/root is closed to this user (owner uid 0 (root), mode 0700)").
// A daemon started from a root shell and dropped to another user meets
// exactly these, and "Permission denied" alone does not say whose.
#pragma once

#include <filesystem>
#include <string>

namespace mailoauth::oauth2 {

// "EACCES (Permission denied); owner uid 0 (root), mode 0600", for messages.
std::string file_access_failure(const std::filesystem::path& path, int error_number);

}  // namespace mailoauth::oauth2
