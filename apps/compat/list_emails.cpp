// `list-emails`: check-mail's reporter. For every account of accounts.ini it
// prints "Checking account: <section>", writes a Textile report of the
// messages found (<section>-emails-report-YYYY-MM-DD-HH_MM.txt, 0600, in a
// 0700 directory, appended as check-mail does) and ends with
// "OK: Successfully generated reports for accounts: ...". It pauses between
// accounts as check-mail does (5 s; -pause). Beyond check-mail: it keeps going
// when an account fails and names the failures at the end (exit 1), checks
// -parallel N accounts at once, writes -format textile|json|csv, fetches in
// batches (bounded memory), shows progress on a terminal only, reuses cached
// tokens (-no-cache: ask every time) and trusts -ca-file.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/compat/accounts_ini.hpp"
#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/go_token.hpp"
#include "mailoauth/compat/list_emails_run.hpp"
#include "mailoauth/core/append_file.hpp"
#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/net/connection_settings.hpp"

using namespace mailoauth;

namespace {

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream stream(path, std::ios::binary);
  *ok = static_cast<bool>(stream);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

}  // namespace

// Long on purpose (~90 lines): check-mail's flags, each defined where it is
// documented; the work is in compat::run_list_emails.
int main(int argc, char** argv) {
  mailoauth::core::harden_process(mailoauth::core::ProgramKind::Tool);
  compat::CheckMailApp app("list-emails", argv[0]);
  auto& flags = app.flags();
  std::string config_file = "accounts.ini", net_type = "auto", min_tls = "tls12",
              format = "textile";
  compat::ListEmailsSettings options;
  std::string log_directory = "log";
  std::int64_t pause = 5, parallel = 1, timeout = 60;
  flags.add_string("config-file", &config_file, "accounts.ini",
                   "Full path to the INI-formatted configuration file used by this application.");
  flags.add_string("report-file-dir", &options.report_directory, "output",
                   "Full path to the directory where email summary report files will be created.");
  flags.add_string("log-file-dir", &log_directory, "log",
                   "Full path to the directory where log files will be created.");
  flags.add_string("net-type", &net_type, "auto",
                   "Limits network connections to remote mail servers to one of tcp4 (IPv4-only), "
                   "tcp6 (IPv6-only) or auto (either).");
  flags.add_string("min-tls", &min_tls, "tls12",
                   "Limits version of TLS used for connections to remote mail servers.");
  flags.add_int("pause", &pause, 5, "Seconds to wait between accounts. mailoauth only.");
  flags.add_int("parallel", &parallel, 1,
                "Check this many accounts at once (1 to 16). mailoauth only.");
  flags.add_string("format", &format, "textile",
                   "Report format: textile, json or csv. mailoauth only.");
  flags.add_string("ca-file", &options.ca_file, "",
                   "Trust the CA certificates in `file` (PEM). mailoauth only.");
  flags.add_int("timeout", &timeout, 60, "Seconds each network step may take. mailoauth only.");
  flags.add_bool("no-cache", &options.no_cache, false,
                 "Ask the token endpoint for every account instead of reusing cached tokens. "
                 "mailoauth only.");
  if (auto exit_code = app.parse(argc, argv)) return *exit_code;
  if (pause < 0) return app.configuration_error(fmt::format("invalid pause {}", pause));
  if (parallel < 1 || parallel > 16) {
    return app.configuration_error(fmt::format("invalid parallel {}: give 1 to 16", parallel));
  }
  if (timeout < 1) return app.configuration_error(fmt::format("invalid timeout {}", timeout));
  options.timeout = std::chrono::seconds(timeout);
  auto parsed_net = net::parse_net_type(net_type);
  if (!parsed_net)
    return app.configuration_error(fmt::format("invalid network type keyword: {}", net_type));
  options.net_type = *parsed_net;
  auto parsed_tls = net::parse_tls_version(min_tls);
  if (!parsed_tls)
    return app.configuration_error(fmt::format("invalid TLS version keyword: {}", min_tls));
  options.min_tls = *parsed_tls;
  auto parsed_format = compat::parse_report_format(format);
  if (!parsed_format) return app.configuration_error(parsed_format.error().message());
  options.format = *parsed_format;
  options.progress = ::isatty(STDERR_FILENO) == 1;
  options.logger = &app.logger();

  bool readable = false;
  const std::string text = read_file(config_file, &readable);
  if (!readable)
    return app.configuration_error(fmt::format("cannot read config file {}", config_file));
  auto ini = compat::read_accounts_ini(text, config_file);
  if (!ini) return app.configuration_error(ini.error().message());
  for (const auto& warning : ini->warnings) app.logger().warn(warning);

  const auto now = core::system_clock().now();
  const auto generated = compat::zoned(now, compat::local_utc_offset(now));
  if (auto made = core::make_directories(log_directory); !made) {
    app.logger().error("Error creating log directory", {{"error", made.error().describe()}});
    return 1;
  }
  auto log_file = core::AppendFile::open(std::filesystem::path(log_directory) /
                                         compat::log_file_name(generated));
  if (!log_file) {
    app.logger().error("Error opening log file", {{"error", log_file.error().describe()}});
    return 1;
  }

  options.pause = std::chrono::seconds(pause);
  options.parallel = static_cast<std::size_t>(parallel);
  compat::ListEmailsOutput output;
  output.print = [](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  };
  output.log = [&](std::string_view line) {
    (void)log_file->append(fmt::format(
        "{} {}\n",
        compat::format_go_rfc3339(compat::zoned(core::system_clock().now(), generated.offset)),
        line));
  };
  output.failed = [&app](std::string_view account, std::string_view error) {
    app.logger().error("Failed to generate report", {{"account", account}, {"error", error}});
  };
  const int exit_code = compat::run_list_emails(ini->accounts, options, generated, output);
  (void)log_file->close();
  return exit_code;
}
