// Keeping unsent messages; see failed_message.hpp.
#include "failed_message.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/file_write.hpp"
#include "mailoauth/delivery/kept_message.hpp"
#include "mailoauth/oauth2/token_cache.hpp"

namespace mailoauth::send {

namespace fs = std::filesystem;

core::Result<fs::path> failed_directory(const app::GlobalOptions& global) {
  auto state = global.state_dir.empty() ? oauth2::default_state_directory()
                                        : core::Result<fs::path>(fs::path(global.state_dir));
  if (!state) return core::fail(state.error());
  const fs::path directory = *state / "failed";
  std::error_code error;
  fs::create_directories(directory, error);
  if (error || !fs::is_directory(directory)) {
    const std::string reason = error ? error.message() : "it exists and is not a directory";
    return core::fail(
        core::ErrorClass::Config, "send.failed_directory",
        fmt::format("cannot use {} for unsent messages: {}", directory.string(), reason),
        "make it a directory the sending user can write (or set MAILOAUTH_STATE_DIR)");
  }
  ::chmod(directory.c_str(), 0700);
  return directory;
}

core::Result<fs::path> keep_failed(const app::GlobalOptions& global, std::string_view envelope_from,
                                   const std::vector<std::string>& recipients,
                                   std::string_view message_id, std::string_view data) {
  auto directory = failed_directory(global);
  if (!directory) return core::fail(directory.error());
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const fs::path path = *directory / delivery::kept_file_name(stamp, ::getpid(), message_id);
  auto written = core::atomic_write_file(
      path, delivery::render_kept_message(envelope_from, recipients, data), 0600);
  if (!written) return core::fail(written.error());
  return path;
}

int report_kept(const core::Result<fs::path>& kept, int failure_exit_code) {
  if (kept) {
    fmt::print(stderr, "mailoauth: the message was kept in {}\n", kept->string());
    return failure_exit_code;
  }
  fmt::print(stderr,
             "mailoauth: THE MESSAGE WAS NOT SENT AND COULD NOT BE KEPT: {}\n"
             "mailoauth: nothing of it is left here; the sender must keep its own copy "
             "(exit {})\n",
             kept.error().describe(), kExitNotKept);
  return kExitNotKept;
}

}  // namespace mailoauth::send
