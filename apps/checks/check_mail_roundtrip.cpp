// check_mail_roundtrip: a Nagios/Icinga check that mail gets through, end to
// end, with OAuth2 on both ends: it sends a uniquely marked probe (SMTP or
// Microsoft Graph, with a mailoauth account's token, through the same code
// as `mailoauth send`), waits for it over IMAP (a mailoauth account's token,
// or a user and password file), reports the delivery delay against -w/-c
// with perfdata, deletes the probe, and deletes stale probes of earlier runs
// (only messages with the probe header). The stage that failed is named on
// the first line: IMAP login failed / folder missing (checked before
// anything is sent, so a broken mailbox leaves no probe behind), send
// refused (the server's reply explained from the catalogue), not arrived
// within -t. The verdict is monitor/roundtrip_probe; this file does the I/O
// in that order, every step bounded by what is left of -t
// (plugin_deadline.hpp is the backstop).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/core/process_hardening.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/delivery/transport.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/monitor/roundtrip_probe.hpp"

#include "../common/global_options.hpp"
#include "../common/imap_login.hpp"
#include "../mailoauth/app_context.hpp"
#include "../send/transports.hpp"
#include "plugin_deadline.hpp"
#include "plugin_print.hpp"

namespace {

using namespace mailoauth;
using monitor::RoundTripStage;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr const char* kProgram = "check_mail_roundtrip";
// What is kept of -t for the verdict, the probe's deletion and LOGOUT.
constexpr milliseconds kReserve{1500};
// Stale probes deleted per run at most (a backlog goes over several runs).
constexpr std::size_t kMaxStaleProbes = 500;

struct Options {
  std::string account, account_flag;
  std::string to, from;
  send::ServerOptions send;
  std::string imap_account, imap_user, imap_password_file;
  std::string imap_server, imap_tls;
  int imap_port = 0;
  std::string folder = "INBOX";
  std::string warning, critical;
  int timeout_seconds = 30;
  int stale_minutes = 60;
  double interval_seconds = 2;
};

int print(const monitor::PluginOutput& output) {
  return checks::print_plugin_output(output);
}
int unknown(const std::string& message) {
  return checks::print_unknown(message);
}

milliseconds left_for_work() {
  const milliseconds left = checks::plugin_time_left();
  return left > kReserve ? left - kReserve : milliseconds(0);
}

// The mailbox's IMAP server by the one rule (delivery::server_settings):
// the flags, else the IMAP account's imap_* keys, else its provider's.
core::Result<imap::ClientSettings> imap_settings(const oauth2::Account* account,
                                                 const Options& options) {
  auto found = app::imap_server_settings(
      account, {options.imap_server, options.imap_port, {}, options.send.ca_file}, options.imap_tls,
      {"--imap-server", "--imap-tls"});
  if (!found) return core::fail(std::move(found.error()));
  imap::ClientSettings settings = std::move(*found);
  // Commands end before the reserve; the session lasts into it (the probe's
  // deletion and LOGOUT), ending just before the alarm.
  const milliseconds left = std::max(left_for_work(), milliseconds(1000));
  settings.connect_timeout = settings.command_timeout = std::min(left, milliseconds(10'000));
  settings.session_timeout =
      std::max(checks::plugin_time_left() - milliseconds(200), milliseconds(1000));
  return settings;
}

// "1,4:6" from the search's UID ranges.
std::string uid_set(const std::vector<imap::NumberRange>& ranges) {
  std::string set;
  for (const auto& range : ranges) {
    if (!set.empty()) set += ',';
    set += range.first == range.last ? std::to_string(range.first)
                                     : fmt::format("{}:{}", range.first, range.last);
  }
  return set;
}

core::Result<void> delete_uids(imap::SyncClient& client, const std::string& set) {
  if (set.empty()) return {};
  if (auto flagged = client.add_flags(set, {"\\Deleted"}); !flagged) return flagged;
  return client.expunge(set);
}

// Probes of earlier runs (our header, a well-formed id, older than the
// limit) are deleted; every other message is left alone. Returns how many.
core::Result<std::uint64_t> remove_stale_probes(imap::SyncClient& client, const Options& options,
                                                const std::string& ours) {
  auto found = client.uid_search(monitor::probe_search_criteria(""), true);
  if (!found) return core::fail(found.error());
  if (found->count == 0) return std::uint64_t{0};
  imap::FetchRequest request;
  request.envelope = false;
  request.size = false;
  request.flags = false;
  request.header_fields = {std::string(monitor::kProbeHeader)};
  const auto now = core::system_clock().now();
  const std::chrono::seconds older_than(std::int64_t{options.stale_minutes} * 60);
  std::vector<std::uint64_t> stale;
  auto fetched = client.uid_fetch(uid_set(found->uids), request, [&](imap::FetchedMessage message) {
    if (stale.size() < kMaxStaleProbes &&
        monitor::is_stale_probe(message.header_fields.value_or(""), message.received_at, ours,
                                older_than, now)) {
      stale.push_back(message.uid);
    }
    return core::Result<void>();
  });
  if (!fetched) return core::fail(fetched.error());
  std::string set;
  for (const std::uint64_t uid : stale) set += (set.empty() ? "" : ",") + std::to_string(uid);
  if (auto deleted = delete_uids(client, set); !deleted) return core::fail(deleted.error());
  return static_cast<std::uint64_t>(stale.size());
}

std::string new_probe_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device device;
  const std::uint64_t random = (std::uint64_t{device()} << 32) ^ device();
  return monitor::make_probe_id(host, static_cast<long>(::getpid()), random);
}

milliseconds since(Steady::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Steady::now() - start);
}

class RoundTrip {
 public:
  RoundTrip(const app::GlobalOptions& global, const Options& options)
      : context_(global), options_(options) {}

  int run(const monitor::RoundTripThresholds& thresholds);

 private:
  // Each returns false when the run ends at that stage (facts_ say why).
  bool resolve_accounts();
  bool open_mailbox();
  bool send_probe();
  bool wait_for_probe();
  void delete_probe();
  bool fail(RoundTripStage stage, core::Error error) {
    facts_.stage = stage;
    facts_.error = std::move(error);
    return false;
  }
  bool usage(core::Error error) {  // UNKNOWN: the options or the accounts are wrong
    usage_error_ = true;
    return fail(RoundTripStage::Usage, std::move(error));
  }

  app::AppContext context_;
  const Options& options_;
  monitor::RoundTripFacts facts_;
  const oauth2::Account* sender_ = nullptr;
  const oauth2::Account* reader_ = nullptr;  // null: --imap-user with a password
  std::optional<imap::SyncClient> client_;
  milliseconds imap_time_{0};
  Steady::time_point sent_at_;
  std::vector<imap::NumberRange> found_;
  bool usage_error_ = false;
};

bool RoundTrip::resolve_accounts() {
  const std::string& name = options_.account.empty() ? options_.account_flag : options_.account;
  if (name.empty()) {
    return usage(core::Error(core::ErrorClass::Config, "roundtrip.no_account",
                             "no sending account given (run `check_mail_roundtrip --help`)"));
  }
  auto sender = context_.account(name);
  if (!sender) return usage(sender.error());
  sender_ = *sender;
  if (options_.imap_user.empty()) {
    const std::string reader_name = options_.imap_account.empty() ? name : options_.imap_account;
    auto reader = context_.account(reader_name);
    if (!reader) return usage(reader.error());
    reader_ = *reader;
    facts_.mailbox = reader_->user();
  } else {
    if (options_.imap_password_file.empty()) {
      return usage(core::Error(core::ErrorClass::Config, "roundtrip.no_password",
                               "--imap-user needs --imap-password-file"));
    }
    facts_.mailbox = options_.imap_user;
  }
  facts_.folder = options_.folder;
  return true;
}

// Connect, log in, SELECT the folder, remove stale probes: before sending,
// so a mailbox that cannot be read gets no probe.
bool RoundTrip::open_mailbox() {
  checks::set_plugin_stage("logging in to IMAP");
  const auto started = Steady::now();
  // With --imap-user, the server is --imap-server, else the sending account's.
  auto settings = imap_settings(reader_ != nullptr ? reader_ : sender_, options_);
  if (!settings) return usage(settings.error());
  client_.emplace(*settings);
  auto connected = client_->connect();
  if (!connected) return fail(RoundTripStage::ImapLogin, connected.error());
  core::Result<void> logged_in;
  if (reader_ != nullptr) {
    logged_in = app::imap_authenticate(context_, *reader_, *client_, *settings);
  } else {
    oauth2::SecretSource source;
    source.kind = oauth2::SecretSource::Kind::File;
    source.where = options_.imap_password_file;
    auto password = oauth2::read_secret_source(source);
    if (!password) return usage(password.error());
    logged_in = client_->login(options_.imap_user, std::move(*password));
  }
  if (!logged_in) return fail(RoundTripStage::ImapLogin, logged_in.error());
  checks::set_plugin_stage("opening the folder");
  auto selected = client_->select(options_.folder);
  if (!selected) {
    const bool missing = selected.error().code() == imap::error_code::kMailboxNotFound;
    return fail(missing ? RoundTripStage::Folder : RoundTripStage::Imap, selected.error());
  }
  if (options_.stale_minutes > 0) {
    checks::set_plugin_stage("removing stale probes");
    auto removed = remove_stale_probes(*client_, options_, facts_.probe_id);
    if (removed) {
      facts_.stale_removed = *removed;
    } else {
      facts_.cleanup_note = "stale probes not removed: " + removed.error().describe();
    }
  }
  imap_time_ += since(started);
  return true;
}

bool RoundTrip::send_probe() {
  checks::set_plugin_stage("sending the probe");
  const std::string from = !options_.from.empty() ? options_.from : sender_->user();
  const std::string to = !options_.to.empty() ? options_.to : facts_.mailbox;
  if (from.empty() || to.empty()) {
    return usage(core::Error(core::ErrorClass::Config, "roundtrip.no_address",
                             "no sender or recipient address: give --from and --to"));
  }
  const std::string text =
      monitor::probe_message({facts_.probe_id, from, to, core::system_clock().now()});
  mime::RawOptions raw;
  raw.envelope_from = from;
  auto message = mime::prepare_raw_message(text, {to}, raw);
  if (!message) return fail(RoundTripStage::Send, message.error());
  std::optional<delivery::Transport> requested;
  if (!options_.send.transport.empty()) {
    auto parsed = delivery::parse_transport(options_.send.transport);
    if (!parsed) return usage(parsed.error());
    requested = *parsed;
  }
  auto transport = delivery::choose_transport(requested, sender_);
  if (!transport) return usage(transport.error());
  send::ServerOptions server = options_.send;
  server.timeout_seconds = static_cast<int>(std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(left_for_work()).count()));
  context_.limit_http_time(left_for_work());
  const auto started = Steady::now();
  auto sent = *transport == delivery::Transport::Graph
                  ? send::via_graph(context_, server, sender_, *message)
                  : send::via_smtp(context_, server, sender_, *message, false);
  facts_.send_time = since(started);
  sent_at_ = Steady::now();
  if (!sent) return fail(RoundTripStage::Send, sent.error());
  // "via smtp HOST:PORT (TLS, ...): 250 ..." → "smtp HOST:PORT".
  std::string_view summary = sent->summary;
  if (summary.starts_with("via ")) summary.remove_prefix(4);
  facts_.transport = std::string(summary.substr(0, summary.find(' ', summary.find(' ') + 1)));
  return true;
}

// Polls with NOOP and a header search, the pause doubling from 100 ms up to
// --interval, until the probe is there or the time for it is up.
bool RoundTrip::wait_for_probe() {
  checks::set_plugin_stage("waiting for the probe");
  const auto started = Steady::now();
  const milliseconds most(static_cast<long long>(std::max(options_.interval_seconds, 0.1) * 1000));
  milliseconds pause(100);
  while (true) {
    auto polled = client_->noop();
    auto found = polled ? client_->uid_search(monitor::probe_search_criteria(facts_.probe_id), true)
                        : core::Result<imap::SearchResult>(std::unexpected(polled.error()));
    if (!found) {
      imap_time_ += since(started);
      // The last look cut short by the end of -t is "not arrived", not an IMAP fault.
      if (left_for_work().count() == 0 &&
          found.error().error_class() == core::ErrorClass::Temporary) {
        facts_.stage = RoundTripStage::NotArrived;
        return false;
      }
      return fail(RoundTripStage::Imap, found.error());
    }
    if (found->count > 0) {
      facts_.delay = since(sent_at_);
      found_ = found->uids;
      imap_time_ += since(started);
      return true;
    }
    const milliseconds left = left_for_work();
    if (left.count() == 0) {
      imap_time_ += since(started);
      facts_.stage = RoundTripStage::NotArrived;
      return false;
    }
    std::this_thread::sleep_for(std::min(pause, left));
    pause = std::min(pause * 2, most);
  }
}

void RoundTrip::delete_probe() {
  checks::set_plugin_stage("deleting the probe");
  const auto started = Steady::now();
  if (auto deleted = delete_uids(*client_, uid_set(found_)); !deleted) {
    facts_.cleanup_note = "the probe was not deleted: " + deleted.error().describe();
  }
  imap_time_ += since(started);
}

int RoundTrip::run(const monitor::RoundTripThresholds& thresholds) {
  facts_.timeout = std::chrono::seconds(options_.timeout_seconds);
  facts_.probe_id = new_probe_id();
  const bool done = resolve_accounts() && open_mailbox() && send_probe() && wait_for_probe();
  if (done) delete_probe();
  if (client_ && client_->connected()) {
    checks::set_plugin_stage("logging out of IMAP");
    (void)client_->logout();
  }
  facts_.imap_time = imap_time_;
  if (usage_error_) return unknown(facts_.error ? facts_.error->describe() : "bad usage");
  return print(monitor::roundtrip_output(facts_, thresholds));
}

}  // namespace

int main(int argc, char** argv) {
  core::harden_process(core::ProgramKind::Plugin);
  CLI::App cli{
      "check_mail_roundtrip - a Nagios/Icinga check that mail gets through: send a marked\n"
      "probe (SMTP or Microsoft Graph, OAuth2), wait for it over IMAP, report the delay,\n"
      "delete it. Exit 0 OK, 1 WARNING, 2 CRITICAL (the failed stage named), 3 UNKNOWN.",
      kProgram};
  app::GlobalOptions global;
  app::add_global_options(cli, global, "log the token requests to stderr (secrets redacted)");
  Options options;
  cli.add_option("account", options.account, "the mailoauth account that sends the probe");
  cli.add_option("-a,--account", options.account_flag, "the same (instead of the argument)");
  cli.add_option("--to", options.to, "probe recipient (default: the IMAP mailbox)");
  cli.add_option("--from", options.from, "probe sender (default: the sending account's mailbox)");
  cli.add_option("--transport", options.send.transport,
                 "smtp or graph (default: the account's transport, else smtp)");
  cli.add_option("--smtp-server", options.send.server, "SMTP server (default: the account's)");
  cli.add_option("--smtp-port", options.send.port, "SMTP port");
  cli.add_option("--smtp-tls", options.send.tls, "implicit, starttls or none");
  cli.add_option("--imap-account", options.imap_account,
                 "the account whose mailbox receives the probe (default: the sending account)");
  cli.add_option("--imap-user", options.imap_user,
                 "read the mailbox with LOGIN as this user instead of a token");
  cli.add_option("--imap-password-file", options.imap_password_file,
                 "the password for --imap-user, in a file (mode 0600)");
  cli.add_option("--imap-server", options.imap_server,
                 "IMAP server (default: the IMAP account's, else the sending account's)");
  cli.add_option("--imap-port", options.imap_port, "IMAP port");
  cli.add_option("--imap-tls", options.imap_tls, "implicit (993) or starttls (143)");
  cli.add_option("--ca-file", options.send.ca_file, "trust this CA (PEM) for SMTP and IMAP");
  cli.add_option("-f,--folder", options.folder, "the folder the probe arrives in (default INBOX)");
  cli.add_option("-w,--warning", options.warning,
                 "Nagios range on the delay in seconds: 20 warns above 20 s");
  cli.add_option("-c,--critical", options.critical, "the same for CRITICAL");
  cli.add_option("-t,--timeout", options.timeout_seconds,
                 "seconds for the whole check (default 30); a probe not there by then is "
                 "CRITICAL \"not arrived\"");
  cli.add_option("--stale-minutes", options.stale_minutes,
                 "delete probes of earlier runs older than this (default 60; 0: never)");
  cli.add_option("--interval", options.interval_seconds,
                 "longest pause between two looks in the folder, seconds (default 2)");
  cli.footer(
      "\nExamples:\n"
      "  check_mail_roundtrip relay -w 30 -c 60 -t 90\n"
      "      the relay's account sends to its own mailbox and reads it back\n"
      "  check_mail_roundtrip relay --imap-account monitor-inbox -w 60 -c 120 -t 150\n"
      "      send as one mailbox, read another (each account its own token)\n"
      "  check_mail_roundtrip relay --to probe@example.com --imap-user probe@example.com \\\n"
      "      --imap-password-file /etc/nagios/probe.pass --imap-server imap.example.com\n"
      "      send with OAuth2, read an ordinary mailbox with a password\n"
      "\nThe probe carries X-Mailoauth-Probe: <host>-<pid>-<random> and the subject\n"
      "\"[mailoauth probe] ...\"; only messages with that header are ever deleted. Delay is\n"
      "from the server's acceptance of the probe to its sight over IMAP. Perfdata: delay,\n"
      "send_time, imap_time. Guide: docs/monitoring.md.");
  const auto report = [](const CLI::App&, const std::string& message) {
    return unknown(fmt::format("{} (run `check_mail_roundtrip --help`)", message));
  };
  if (const auto finished = app::parse_command_line(cli, argc, argv, report)) return *finished;
  monitor::RoundTripThresholds thresholds;
  for (const auto& [text, target, what] :
       {std::tuple{&options.warning, &thresholds.warning, "-w"},
        std::tuple{&options.critical, &thresholds.critical, "-c"}}) {
    if (text->empty()) continue;
    auto range = monitor::Range::parse(*text, what);
    if (!range) return unknown(range.error().describe());
    *target = *range;
  }
  if (options.timeout_seconds < 3) return unknown("-t must be at least 3 seconds");
  checks::arm_plugin_deadline(options.timeout_seconds, kProgram);
  RoundTrip round_trip(global, options);
  return round_trip.run(thresholds);
}
