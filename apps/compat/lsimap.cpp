// `lsimap`: check-mail's tool that lists an IMAP server's capabilities before
// login, sorted, one "Capability: X" log line each on stderr. Same flags;
// beyond check-mail: -starttls (plain connection upgraded; the capabilities
// before and after it), -ca-file, -t/-timeout, and -json (the report of
// compat::inspection_json on stdout: mechanisms, LOGINDISABLED, TLS version,
// certificate subject and expiry). A configuration or connection error exits
// non-zero (check-mail exits 0).
#include <cstdio>

#include <fmt/format.h>

#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/server_flags.hpp"
#include "mailoauth/compat/server_inspection.hpp"
#include "mailoauth/core/process_hardening.hpp"

using namespace mailoauth;

int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  compat::CheckMailApp app("lsimap", argv[0]);
  auto& flags = app.flags();
  compat::ServerFlags server;
  bool json = false;
  server.add_to(flags);
  flags.add_bool("json", &json, false,
                 "Print a JSON report on stdout (capabilities, mechanisms, LOGINDISABLED, TLS, "
                 "certificate). mailoauth only.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;
  auto settings = server.settings(true);
  if (!settings) return app.configuration_error(settings.error().message());

  auto inspection = compat::inspect_server(*settings, &app.logger());
  if (!inspection) {
    app.logger().error("Error connecting to server", {{"error", inspection.error().describe()}});
    return 1;
  }
  if (json) {
    std::fputs(compat::inspection_json(*inspection).c_str(), stdout);
    return 0;
  }
  if (inspection->before_starttls) {
    for (const auto& name : inspection->before_starttls->sorted()) {
      app.logger().info(fmt::format("Capability before STARTTLS: {}", name));
    }
  }
  for (const auto& name : inspection->capabilities.sorted()) {
    app.logger().info(fmt::format("Capability: {}", name));
  }
  return 0;
}
