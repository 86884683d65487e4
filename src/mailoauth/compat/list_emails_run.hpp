// list-emails' run over all accounts of an accounts.ini: for each, the
// "Checking account: <section>" line, its report file (opened at the first
// bytes, so an account that fails early leaves none; 0600 in a 0700
// directory, appended as check-mail does), then check-mail's final line for
// the accounts that succeeded and, unlike check-mail which stops at the
// first failure, one line naming every account that failed. Sequential with
// check-mail's pause between accounts, or `parallel` accounts at once (no
// pause). Basic accounts LOGIN; oauth2 accounts AUTHENTICATE XOAUTH2 with a
// client-credentials token from the cache. Library mailoauth_net.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/compat/accounts_ini.hpp"
#include "mailoauth/compat/email_report.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/net/connection_settings.hpp"

namespace mailoauth::compat {

struct ListEmailsSettings {
  std::string report_directory = "output";
  std::string ca_file;
  net::NetType net_type = net::NetType::Auto;
  net::TlsVersion min_tls = net::TlsVersion::Tls12;
  ReportFormat format = ReportFormat::Textile;
  std::chrono::seconds timeout{60};  // each network step
  std::chrono::seconds pause{5};     // between accounts when sequential (check-mail: 5 s)
  std::size_t parallel = 1;
  bool no_cache = false;
  bool progress = false;           // a progress line per account on stderr
  core::Logger* logger = nullptr;  // each account's steps at debug, the dialogue at trace
};

// Where the run's lines go; called one at a time.
struct ListEmailsOutput {
  std::function<void(std::string_view line)> print;  // stdout, without newline
  std::function<void(std::string_view line)> log;    // the log file
  std::function<void(std::string_view account, std::string_view error)> failed;  // stderr log
};

// 0 when every account's report was written, 1 otherwise.
int run_list_emails(const std::vector<CheckMailAccount>& accounts,
                    const ListEmailsSettings& settings, const ZonedTime& generated,
                    const ListEmailsOutput& output);

}  // namespace mailoauth::compat
