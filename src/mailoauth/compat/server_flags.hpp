// How the IMAP drop-ins (the check plugins, lsimap) reach their server, as
// Go flags: check-mail's -server, -port (993), -net-type, -min-tls, and
// mailoauth's -starttls, -ca-file and -t/-timeout (seconds for the whole run,
// default 10: every deadline of the client), turned into imap::ClientSettings
// with check-mail's validation words. Library mailoauth_net (it parses the
// net/ spellings).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "mailoauth/cli/go_flags.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/imap/client_settings.hpp"

namespace mailoauth::compat {

class ServerFlags {
 public:
  void add_to(cli::GoFlagSet& flags);

  // need_server: false when something else (-account) names the server.
  core::Result<imap::ClientSettings> settings(bool need_server) const;

  std::chrono::seconds timeout() const { return std::chrono::seconds(timeout_seconds_); }
  const std::string& ca_file() const { return ca_file_; }

 private:
  std::string server_;
  std::int64_t port_ = 993;
  std::string net_type_ = "auto";
  std::string min_tls_ = "tls12";
  std::int64_t timeout_seconds_ = 10;
  bool starttls_ = false;
  std::string ca_file_;
};

}  // namespace mailoauth::compat
