// Test helper: puts messages into a mailbox with APPEND and a chosen
// INTERNALDATE, so the CLI tests of the check plugins and list-emails start
// from known folders and known message ages (folders are made with curl's
// CREATE). Usage:
//   imap_append_tool HOST PORT CA_FILE USER PASSWORD FOLDER append AGE_SECONDS SUBJECT [HEADER]
// appends one message whose INTERNALDATE is AGE_SECONDS ago; HEADER ("Name:
// value") is one more header line (check_mail_roundtrip's planted probes).
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "mailoauth/imap/sync_client.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  if (argc < 8) {
    std::fputs("usage: imap_append_tool HOST PORT CA USER PASSWORD FOLDER append AGE SUBJECT\n",
               stderr);
    return 64;
  }
  imap::ClientSettings settings;
  settings.host = argv[1];
  settings.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  settings.tls.ca_file = argv[3];
  settings.connect_timeout = settings.command_timeout = std::chrono::seconds(10);
  const std::string user = argv[4], folder = argv[6], command = argv[7];
  imap::SyncClient client(settings);
  auto fail = [](const core::Error& error) {
    std::fprintf(stderr, "imap_append_tool: %s\n", error.describe().c_str());
    return 1;
  };
  if (auto r = client.connect(); !r) return fail(r.error());
  if (auto r = client.login(user, core::Secret::take(std::string(argv[5]))); !r)
    return fail(r.error());
  if (command == "append" && argc >= 10) {
    const auto when = core::system_clock().now() - std::chrono::seconds(std::atoll(argv[8]));
    const std::string message = fmt::format(
        "From: Test <test@example.test>\r\nTo: {}\r\nSubject: {}\r\nDate: Thu, 5 Mar 2026 08:01:02 "
        "+0000\r\n"
        "Message-ID: <{}.{}@example.test>\r\n{}\r\nbody\r\n",
        user, argv[9], std::time(nullptr), std::rand(),
        argc >= 11 ? std::string(argv[10]) + "\r\n" : std::string());
    imap::AppendOptions options;
    options.internal_date = when;
    if (auto r = client.append(folder, message, options); !r) return fail(r.error());
  } else {
    std::fputs("imap_append_tool: unknown command\n", stderr);
    return 64;
  }
  (void)client.logout();
  return 0;
}
