// The library side of bench/imap_check.sh: count the messages of one folder
// with mailoauth's IMAP client in one of two ways, and print the elapsed
// microseconds and the count:
//   status     what check_imap_mailbox_* does: LOGIN, STATUS (MESSAGES ...), LOGOUT
//   envelopes  what check-mail does: LOGIN, SELECT-like EXAMINE, UID FETCH 1:*
//              ENVELOPE of every message just to count them, LOGOUT
// Same client, same connection set-up, so the ratio is the method's alone.
// Usage: imap_count_tool HOST PORT CA_FILE USER PASSWORD_FILE FOLDER status|envelopes
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "mailoauth/imap/sync_client.hpp"

int main(int argc, char** argv) {
  using namespace mailoauth;
  if (argc != 8) {
    std::fprintf(stderr,
                 "usage: imap_count_tool HOST PORT CA_FILE USER PASSWORD_FILE FOLDER "
                 "status|envelopes\n");
    return 64;
  }
  const std::string mode = argv[7];
  std::ifstream password_file(argv[5]);
  std::string password;
  std::getline(password_file, password);
  imap::ClientSettings settings;
  settings.host = argv[1];
  settings.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  settings.tls.ca_file = argv[3];
  settings.command_timeout = std::chrono::minutes(5);
  const auto started = std::chrono::steady_clock::now();
  imap::SyncClient client(settings);
  auto step = [](const char* what, const core::Result<void>& result) {
    if (!result) {
      std::fprintf(stderr, "imap_count_tool: %s: %s\n", what, result.error().describe().c_str());
      std::exit(1);
    }
  };
  step("connect", client.connect());
  step("login", client.login(argv[4], core::Secret::take(std::move(password))));
  std::uint64_t count = 0;
  if (mode == "status") {
    auto status = client.status(argv[6]);
    if (!status) step("status", core::fail(status.error()));
    count = status->messages.value_or(0);
  } else {
    auto examined = client.examine(argv[6]);
    if (!examined) step("examine", core::fail(examined.error()));
    imap::FetchRequest request;
    request.envelope = true;
    request.internal_date = request.size = request.flags = false;
    auto fetched = client.uid_fetch("1:*", request, [&count](imap::FetchedMessage) {
      ++count;
      return core::Result<void>();
    });
    if (!fetched) step("fetch", core::fail(fetched.error()));
  }
  step("logout", client.logout());
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  fmt::print("{} {}\n", elapsed.count(), count);
  return 0;
}
