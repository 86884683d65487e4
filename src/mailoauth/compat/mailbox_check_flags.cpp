// The check plugins' shared flags (see the header).
#include "mailoauth/compat/mailbox_check_flags.hpp"

#include <fmt/format.h>

#include "mailoauth/monitor/age_duration.hpp"

namespace mailoauth::compat {

void MailboxCheckFlags::add_to(cli::GoFlagSet& flags) {
  flags.add_list("folders", &folders_,
                 "Folders or IMAP \"mailboxes\" to check for mail. This value is provided as a "
                 "comma-separated list.");
  flags.add_list("folder", &folders_,
                 "One folder to check, its name taken as given (it may contain a comma); "
                 "repeat the flag for more. Adds to -folders. mailoauth only.",
                 false);
  server_.add_to(flags);
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
  auto settings = server_.settings(need_server);
  if (!settings) return core::fail(settings.error());
  request.settings = std::move(*settings);
  if (sample_ < 0 || sample_ > 1000) {
    return config_error(fmt::format("invalid sample size {}: give 0 to 1000", sample_));
  }
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
  return request;
}

}  // namespace mailoauth::compat
