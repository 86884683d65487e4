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
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/compat/accounts_ini.hpp"
#include "mailoauth/compat/check_mail_app.hpp"
#include "mailoauth/compat/client_credentials_token.hpp"
#include "mailoauth/compat/email_listing.hpp"
#include "mailoauth/compat/go_token.hpp"
#include "mailoauth/core/append_file.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/net/connection_settings.hpp"

using namespace mailoauth;

namespace {

struct Options {
  std::string report_directory, log_directory, ca_file;
  net::NetType net_type = net::NetType::Auto;
  net::TlsVersion min_tls = net::TlsVersion::Tls12;
  compat::ReportFormat format = compat::ReportFormat::Textile;
  std::chrono::seconds timeout{60};
  bool no_cache = false;
  bool progress = false;
};

// One account's report file, written as the messages arrive.
core::Result<std::uint64_t> report_account(const compat::CheckMailAccount& account,
                                           const Options& options,
                                           const compat::ZonedTime& generated) {
  compat::EmailListingRequest request;
  request.account = account.name;
  request.folders = account.folders;
  request.settings.host = account.server;
  request.settings.port = static_cast<std::uint16_t>(account.port);
  request.settings.net_type = options.net_type;
  request.settings.tls.minimum = options.min_tls;
  request.settings.tls.ca_file = options.ca_file;
  request.settings.connect_timeout = request.settings.command_timeout = options.timeout;
  request.authenticate = [&](imap::SyncClient& client) -> core::Result<void> {
    if (account.auth_type != "oauth2") {
      return client.login(account.username, account.password.clone());
    }
    oauth2::HttpSettings http_settings;
    http_settings.ca_file = options.ca_file;
    oauth2::HttpClient http(http_settings);
    oauth2::ClientCredentialsGrant grant;
    grant.token_url = account.token_url;
    grant.client_id = account.client_id;
    grant.client_secret = account.client_secret.clone();
    grant.scopes = account.scopes;
    auto token = compat::client_credentials_token(http, grant, options.no_cache,
                                                  std::chrono::seconds(300), oauth2::RetryPolicy{});
    if (!token) return core::fail(token.error());
    sasl::ClientCredentials credentials;
    credentials.user = account.shared_mailbox;
    credentials.secret = std::move(token->access_token);
    return client.authenticate(sasl::Mechanism::XOAuth2, std::move(credentials));
  };
  if (options.progress) {
    request.progress = [&account](std::uint64_t done, std::uint64_t total) {
      std::fprintf(stderr, "\r%s: %llu/%llu messages", account.name.c_str(),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
      if (done == total) std::fputc('\n', stderr);
    };
  }
  if (auto made = core::make_directories(options.report_directory); !made) {
    return core::fail(made.error());
  }
  // Opened at the first bytes, so an account that fails before its report leaves no file.
  const auto path = std::filesystem::path(options.report_directory) /
                    compat::report_file_name(account.name, generated, options.format);
  std::optional<core::AppendFile> file;
  auto writer = compat::make_report_writer(
      options.format, [&file, &path](std::string_view bytes) -> core::Result<void> {
        if (!file) {
          auto opened = core::AppendFile::open(path);
          if (!opened) return core::fail(opened.error());
          file.emplace(std::move(*opened));
        }
        return file->append(bytes);
      });
  auto written = compat::list_account_emails(request, *writer, generated);
  if (!written) return written;
  if (file) {
    if (auto closed = file->close(); !closed) return core::fail(closed.error());
  }
  return written;
}

std::string read_file(const std::string& path, bool* ok) {
  std::ifstream stream(path, std::ios::binary);
  *ok = static_cast<bool>(stream);
  std::ostringstream text;
  text << stream.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  compat::CheckMailApp app("list-emails", argv[0]);
  auto& flags = app.flags();
  std::string config_file = "accounts.ini", net_type = "auto", min_tls = "tls12",
              format = "textile";
  Options options;
  options.report_directory = "output";
  options.log_directory = "log";
  std::int64_t pause = 5, parallel = 1, timeout = 60;
  flags.add_string("config-file", &config_file, "accounts.ini",
                   "Full path to the INI-formatted configuration file used by this application.");
  flags.add_string("report-file-dir", &options.report_directory, "output",
                   "Full path to the directory where email summary report files will be created.");
  flags.add_string("log-file-dir", &options.log_directory, "log",
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

  bool readable = false;
  const std::string text = read_file(config_file, &readable);
  if (!readable)
    return app.configuration_error(fmt::format("cannot read config file {}", config_file));
  auto ini = compat::read_accounts_ini(text, config_file);
  if (!ini) return app.configuration_error(ini.error().message());
  for (const auto& warning : ini->warnings) app.logger().warn(warning);

  const auto now = core::system_clock().now();
  const auto generated = compat::zoned(now, compat::local_utc_offset(now));
  if (auto made = core::make_directories(options.log_directory); !made) {
    app.logger().error("Error creating log directory", {{"error", made.error().describe()}});
    return 1;
  }
  auto log_file = core::AppendFile::open(std::filesystem::path(options.log_directory) /
                                         compat::log_file_name(generated));
  if (!log_file) {
    app.logger().error("Error opening log file", {{"error", log_file.error().describe()}});
    return 1;
  }

  const auto& accounts = ini->accounts;
  std::vector<std::string> failures(accounts.size());
  std::vector<bool> done(accounts.size(), false);
  std::mutex output_mutex;
  std::atomic<std::size_t> next{0};
  auto log_line = [&](const std::string& line) {
    (void)log_file->append(fmt::format(
        "{} {}\n",
        compat::format_go_rfc3339(compat::zoned(core::system_clock().now(), generated.offset)),
        line));
  };
  auto worker = [&]() {
    for (std::size_t i = next++; i < accounts.size(); i = next++) {
      if (i > 0 && parallel == 1 && pause > 0)
        std::this_thread::sleep_for(std::chrono::seconds(pause));
      {
        std::lock_guard lock(output_mutex);
        std::printf("Checking account: %s\n", accounts[i].name.c_str());
        std::fflush(stdout);
        log_line("Checking account: " + accounts[i].name);
      }
      auto result = report_account(accounts[i], options, generated);
      std::lock_guard lock(output_mutex);
      if (!result) {
        failures[i] = result.error().describe();
        log_line(fmt::format("Failed to generate report for account {}: {}", accounts[i].name,
                             failures[i]));
        app.logger().error("Failed to generate report",
                           {{"account", accounts[i].name}, {"error", failures[i]}});
      } else {
        done[i] = true;
        log_line(fmt::format("Report for account {}: {} messages", accounts[i].name, *result));
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::int64_t t = 1;
       t < std::min<std::int64_t>(parallel, static_cast<std::int64_t>(accounts.size())); ++t) {
    threads.emplace_back(worker);
  }
  worker();
  for (auto& thread : threads) thread.join();

  std::vector<compat::CheckMailAccount> succeeded;
  std::string failed;
  for (std::size_t i = 0; i < accounts.size(); ++i) {
    if (done[i]) {
      compat::CheckMailAccount copy;
      copy.name = accounts[i].name;
      copy.auth_type = accounts[i].auth_type;
      copy.username = accounts[i].username;
      copy.shared_mailbox = accounts[i].shared_mailbox;
      succeeded.push_back(std::move(copy));
    } else {
      failed += fmt::format("{}{} ({})", failed.empty() ? "" : ", ", accounts[i].name, failures[i]);
    }
  }
  if (failed.empty()) {
    std::printf("%s\n", compat::accounts_report_summary(succeeded).c_str());
  } else {
    if (!succeeded.empty()) std::printf("%s\n", compat::accounts_report_summary(succeeded).c_str());
    std::printf("ERROR: Failed to generate reports for accounts: %s\n", failed.c_str());
  }
  log_line(failed.empty() ? "all reports generated" : "failed: " + failed);
  (void)log_file->close();
  return failed.empty() ? 0 : 1;
}
