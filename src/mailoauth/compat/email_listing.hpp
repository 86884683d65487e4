// list-emails' work for one account: connect, log in (the caller's step),
// LIST and check-mail's folder validation, EXAMINE every folder (read-only)
// and UID SEARCH ALL for its messages, then the report: begin() with the
// counts, then the envelopes fetched in batches of `batch` UIDs and streamed
// to the writer row by row, so memory stays one batch whatever the folder's
// size (check-mail fetched every envelope of a folder into memory). Subjects
// are RFC 2047-decoded, dates read from the Date header. With a logger, the
// steps at debug and the dialogue at trace (mailbox_check_log.hpp). Library
// mailoauth_net.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mailoauth/compat/email_report.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/client_settings.hpp"
#include "mailoauth/imap/mailbox_data.hpp"

namespace mailoauth::imap {
class SyncClient;
}

namespace mailoauth::compat {

struct EmailListingRequest {
  std::string account;               // the section name (report header)
  std::vector<std::string> folders;  // as configured
  imap::ClientSettings settings;
  std::function<core::Result<void>(imap::SyncClient& client)> authenticate;
  std::size_t batch = 500;
  // Called after each batch: messages written so far, messages in all.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
  // Steps at debug, the IMAP dialogue (redacted) at trace; null: silent.
  core::Logger* logger = nullptr;
};

// UID sets ("1:5,9,12:20") of at most `batch` UIDs each, in order: one
// UID FETCH each, so a fetch's answer stays bounded whatever the folder's size.
std::vector<std::string> uid_set_batches(const std::vector<imap::NumberRange>& ranges,
                                         std::size_t batch);

// The number of messages written.
core::Result<std::uint64_t> list_account_emails(const EmailListingRequest& request,
                                                EmailReportWriter& writer,
                                                const ZonedTime& generated);

}  // namespace mailoauth::compat
