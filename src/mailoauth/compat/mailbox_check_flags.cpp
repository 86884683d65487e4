// The check plugins' shared flags (see the header).
#include "mailoauth/compat/mailbox_check_flags.hpp"

#include <fmt/format.h>

#include "mailoauth/monitor/age_duration.hpp"
#include "mailoauth/net/connection_settings.hpp"

namespace mailoauth::compat {

void MailboxCheckFlags::add_to(cli::GoFlagSet& flags) {
  flags.add_list("folders", &folders_,
                 "Folders or IMAP \"mailboxes\" to check for mail. This value is provided as a "
                 "comma-separated list.");
  flags.add_string("server", &server_, "", "The fully-qualified domain name of the IMAP server.");
  flags.add_int("port", &port_, 993,
                "TCP port used to connect to the remote mail server. This is usually the same "
                "port used for TLS encrypted IMAP connections (993; 143 with -starttls).");
  flags.add_string("net-type", &net_type_, "auto",
                   "Limits network connections to remote mail servers to one of tcp4 (IPv4-only), "
                   "tcp6 (IPv6-only) or auto (either).");
  flags.add_string("min-tls", &min_tls_, "tls12",
                   "Limits version of TLS used for connections to remote mail servers: tls10, "
                   "tls11, tls12 or tls13.");
  flags.add_bool("branding", &branding_, false,
                 "Toggles emission of branding details with plugin status details. This output is "
                 "disabled by default.");
  for (const char* name : {"w", "warning"}) {
    flags.add_string(name, &warning_, "",
                     "WARNING when the total number of messages is outside this Nagios `range` "
                     "(10, 10:, ~:10, @10:20). Default: any message warns. mailoauth only.");
  }
  for (const char* name : {"c", "critical"}) {
    flags.add_string(name, &critical_, "",
                     "CRITICAL when the total number of messages is outside this Nagios `range`. "
                     "mailoauth only.");
  }
  flags.add_string("age-warning", &age_warning_, "",
                   "WARNING when the oldest message is older than this `duration` (30m, 2h, 1d). "
                   "mailoauth only.");
  flags.add_string("age-critical", &age_critical_, "",
                   "CRITICAL when the oldest message is older than this `duration`. mailoauth "
                   "only.");
  flags.add_bool("unseen", &unseen_, false, "Count only unseen messages. mailoauth only.");
  flags.add_bool("perfdata", &perfdata_, false,
                 "Add 'messages' and one metric per folder to the performance data. mailoauth "
                 "only.");
  flags.add_int("sample", &sample_, 0,
                "List up to this many of the messages found (date, subject) in the long output. "
                "mailoauth only.");
  for (const char* name : {"t", "timeout"}) {
    flags.add_int(name, &timeout_seconds_, 10,
                  "Seconds the whole check may take; a server that does not answer in time is "
                  "CRITICAL. mailoauth only.");
  }
  flags.add_bool("starttls", &starttls_, false,
                 "Connect in plain text and upgrade with STARTTLS (use with -port 143) instead of "
                 "TLS from the start. mailoauth only.");
  flags.add_string("ca-file", &ca_file_, "",
                   "Trust the CA certificates in `file` (PEM) for the mail server (and the token "
                   "endpoint). mailoauth only.");
}

core::Result<MailboxCheckRequest> MailboxCheckFlags::request(const cli::GoFlagSet& flags,
                                                             bool need_server) const {
  auto config_error = [](std::string message) {
    return core::fail(core::ErrorClass::Config, "plugin.bad_flag", std::move(message));
  };
  MailboxCheckRequest request;
  if (folders_.empty()) return config_error("one or more folders not provided");
  for (const auto& folder : folders_) {
    if (folder.empty()) return config_error("empty folder name provided");
  }
  request.folders = folders_;
  if (need_server && server_.empty()) return config_error("server FQDN not provided");
  if (port_ < 1 || port_ > 65535) {
    return config_error(fmt::format("invalid TCP port number {} provided", port_));
  }
  if (timeout_seconds_ < 1 || timeout_seconds_ > 3600) {
    return config_error(
        fmt::format("invalid timeout {}: give 1 to 3600 seconds", timeout_seconds_));
  }
  if (sample_ < 0 || sample_ > 1000) {
    return config_error(fmt::format("invalid sample size {}: give 0 to 1000", sample_));
  }
  auto net_type = net::parse_net_type(net_type_);
  if (!net_type) return config_error(fmt::format("invalid network type keyword: {}", net_type_));
  auto min_tls = net::parse_tls_version(min_tls_);
  if (!min_tls) return config_error(fmt::format("invalid TLS version keyword: {}", min_tls_));

  auto& options = request.options;
  options.sample_limit = static_cast<std::size_t>(sample_);
  options.folder_perfdata = perfdata_;
  request.unseen_only = unseen_;
  if (flags.was_set("w") || flags.was_set("warning")) {
    auto range = monitor::Range::parse(warning_, "--warning");
    if (!range) return core::fail(range.error());
    options.warning = *range;
  }
  if (flags.was_set("c") || flags.was_set("critical")) {
    auto range = monitor::Range::parse(critical_, "--critical");
    if (!range) return core::fail(range.error());
    options.critical = *range;
  }
  if (!age_warning_.empty()) {
    auto age = monitor::parse_age_duration(age_warning_, "--age-warning");
    if (!age) return core::fail(age.error());
    options.age_warning = *age;
  }
  if (!age_critical_.empty()) {
    auto age = monitor::parse_age_duration(age_critical_, "--age-critical");
    if (!age) return core::fail(age.error());
    options.age_critical = *age;
  }

  auto& settings = request.settings;
  settings.host = server_;
  settings.port = static_cast<std::uint16_t>(port_);
  settings.tls_mode = starttls_ ? imap::TlsMode::StartTls : imap::TlsMode::Implicit;
  settings.net_type = *net_type;
  settings.tls.minimum = *min_tls;
  settings.tls.ca_file = ca_file_;
  const std::chrono::milliseconds limit = timeout();
  settings.connect_timeout = limit;
  settings.command_timeout = limit;
  settings.session_timeout = limit;
  return request;
}

}  // namespace mailoauth::compat
