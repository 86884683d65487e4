// The flags both check plugins share, registered on a Go flag set, and their
// translation into a MailboxCheckRequest: check-mail's own (--folders, and
// mailoauth's --folder NAME for a name with a comma in it, --branding, and ServerFlags' --server,
// --port, --net-type, --min-tls) and mailoauth's optional additions, none of which changes
// check-mail's default behaviour: -w/--warning and -c/--critical (Nagios ranges on the total),
// --age-warning and --age-critical (30m, 2h, 1d), --unseen, --perfdata
// (per-folder and 'messages' metrics), --sample N (messages listed in the
// long output), and ServerFlags' -t/--timeout, --starttls, --ca-file.
// Validation messages follow check-mail's wording. Library mailoauth_net.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mailoauth/cli/go_flags.hpp"
#include "mailoauth/compat/mailbox_check.hpp"
#include "mailoauth/compat/server_flags.hpp"
#include "mailoauth/core/error.hpp"

namespace mailoauth::compat {

class MailboxCheckFlags {
 public:
  void add_to(cli::GoFlagSet& flags);

  // The request without mailbox and authenticate (each plugin sets those);
  // `need_server`: false when --account supplies the server. Config errors
  // carry check-mail's sentences.
  core::Result<MailboxCheckRequest> request(const cli::GoFlagSet& flags, bool need_server) const;

  std::chrono::seconds timeout() const { return server_.timeout(); }
  const std::string& ca_file() const { return server_.ca_file(); }
  bool branding() const { return branding_; }

 private:
  ServerFlags server_;
  std::vector<std::string> folders_;
  bool branding_ = false;
  std::string warning_, critical_, age_warning_, age_critical_;
  bool unseen_ = false;
  bool perfdata_ = false;
  std::int64_t sample_ = 0;
};

}  // namespace mailoauth::compat
