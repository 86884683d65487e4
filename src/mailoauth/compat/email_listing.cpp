// One account's list-emails report, streamed in batches (see the header).
#include "mailoauth/compat/email_listing.hpp"

#include <fmt/format.h>

#include "mailoauth/compat/encoded_words.hpp"
#include "mailoauth/compat/mailbox_check_log.hpp"
#include "mailoauth/compat/message_date.hpp"
#include "mailoauth/imap/sync_client.hpp"

namespace mailoauth::compat {

std::vector<std::string> uid_set_batches(const std::vector<imap::NumberRange>& ranges,
                                         std::size_t batch) {
  std::vector<std::string> sets;
  std::string current;
  std::size_t in_current = 0;
  for (const auto& range : ranges) {
    std::uint64_t first = range.first;
    while (first <= range.last) {
      const std::uint64_t room = batch - in_current;
      const std::uint64_t last = std::min<std::uint64_t>(range.last, first + room - 1);
      if (!current.empty()) current += ',';
      current += first == last ? std::to_string(first) : fmt::format("{}:{}", first, last);
      in_current += static_cast<std::size_t>(last - first + 1);
      if (in_current == batch) {
        sets.push_back(std::move(current));
        current.clear();
        in_current = 0;
      }
      if (last == range.last) break;
      first = last + 1;
    }
  }
  if (!current.empty()) sets.push_back(std::move(current));
  return sets;
}

core::Result<std::uint64_t> list_account_emails(const EmailListingRequest& request,
                                                EmailReportWriter& writer,
                                                const ZonedTime& generated) {
  const StepLog log(request.logger);
  log.connecting(request.settings);
  imap::SyncClient client(log.traced(request.settings));
  if (auto connected = client.connect(); !connected) {
    return core::fail(
        connected.error().context(fmt::format("connecting to {}", request.settings.host)));
  }
  log.debug("Connection established to server", {{"account", request.account}});
  log.debug("Logging in", {{"account", request.account}});
  if (auto logged_in = request.authenticate(client); !logged_in) {
    return core::fail(logged_in.error().context("login error occurred"));
  }
  log.debug("Logged in", {{"account", request.account}});
  auto listed = client.list("", "*");
  if (!listed) return core::fail(listed.error());
  std::vector<std::string> names;
  for (const auto& entry : *listed) names.push_back(entry.name);
  log.debug("Mailboxes listed", {{"account", request.account}, {"count", names.size()}});
  auto folders = validate_folders(request.folders, names);
  if (!folders) return core::fail(folders.error());

  struct Folder {
    FolderCount count;
    std::vector<imap::NumberRange> uids;
  };
  std::vector<Folder> found;
  std::vector<FolderCount> counts;
  std::uint64_t total = 0;
  for (const auto& folder : *folders) {
    auto examined = client.examine(folder);
    if (!examined) return core::fail(examined.error());
    auto search = client.uid_search("ALL", true);
    if (!search) return core::fail(search.error());
    Folder entry;
    entry.count.name = folder;
    entry.count.messages = search->count;
    entry.uids = std::move(search->uids);
    total += search->count;
    log.debug("Messages found",
              {{"account", request.account}, {"mailbox", folder}, {"messages", search->count}});
    counts.push_back(entry.count);
    found.push_back(std::move(entry));
  }
  if (auto begun = writer.begin(request.account, generated, counts); !begun) {
    return core::fail(begun.error());
  }
  std::uint64_t written = 0;
  imap::FetchRequest fetch;
  fetch.envelope = true;
  fetch.internal_date = false;
  fetch.size = false;
  fetch.flags = false;
  for (const auto& folder : found) {
    if (folder.count.messages == 0) continue;
    if (auto examined = client.examine(folder.count.name); !examined) {
      return core::fail(examined.error());
    }
    for (const auto& uid_set :
         uid_set_batches(folder.uids, std::max<std::size_t>(request.batch, 1))) {
      auto fetched =
          client.uid_fetch(uid_set, fetch, [&](imap::FetchedMessage message) -> core::Result<void> {
            ReportMessage row;
            row.folder = folder.count.name;
            if (message.envelope) {
              if (message.envelope->subject) {
                row.subject = decode_encoded_words(*message.envelope->subject);
              }
              row.date = message.envelope->date ? parse_message_date(*message.envelope->date)
                                                : ZonedTime{{}, {}, false};
            } else {
              row.date.known = false;
            }
            ++written;
            return writer.row(row);
          });
      if (!fetched) return core::fail(fetched.error());
      log.debug("Envelopes fetched", {{"account", request.account},
                                      {"mailbox", folder.count.name},
                                      {"written", written},
                                      {"total", total}});
      if (request.progress) request.progress(written, total);
    }
  }
  if (auto finished = writer.finish(); !finished) return core::fail(finished.error());
  log.debug("Logging out", {{"account", request.account}});
  (void)client.logout();
  return written;
}

}  // namespace mailoauth::compat
