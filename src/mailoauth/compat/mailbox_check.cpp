// The mailbox check's IMAP dialogue (see the header): what is asked of the
// server, in which order, and which check-mail sentence each failure becomes.
#include "mailoauth/compat/mailbox_check.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "mailoauth/compat/encoded_words.hpp"
#include "mailoauth/compat/go_text.hpp"
#include "mailoauth/compat/mailbox_check_log.hpp"
#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/sync_client.hpp"

namespace mailoauth::compat {
namespace {

struct FolderFacts {
  FolderCount count;
  std::vector<MessageSample> sample;
};

bool needs_examine(const MailboxCheckOptions& options) {
  return options.age_warning || options.age_critical || options.sample_limit > 0;
}

core::Result<FolderFacts> check_folder(imap::SyncClient& client, const std::string& folder,
                                       const MailboxCheckRequest& request) {
  FolderFacts facts;
  facts.count.name = folder;
  if (!needs_examine(request.options)) {
    auto status = client.status(folder);
    if (!status) return core::fail(status.error());
    const auto& value = request.unseen_only ? status->unseen : status->messages;
    facts.count.messages = value.value_or(0);
    return facts;
  }
  auto examined = client.examine(folder);
  if (!examined) return core::fail(examined.error());
  const bool want_uids = request.options.sample_limit > 0;
  auto found = client.uid_search(request.unseen_only ? "UNSEEN" : "ALL", want_uids);
  if (!found) return core::fail(found.error());
  facts.count.messages = found->count;
  if (found->count == 0) return facts;

  std::string uid_set;
  if (want_uids) {
    auto uids = imap::expand_ranges(found->uids, request.options.sample_limit);
    if (!uids) {
      // More than the limit: the first sample_limit of them.
      std::vector<std::uint64_t> first;
      for (const auto& range : found->uids) {
        for (auto uid = range.first;
             uid <= range.last && first.size() < request.options.sample_limit; ++uid) {
          first.push_back(uid);
        }
        if (first.size() >= request.options.sample_limit) break;
      }
      uids = std::move(first);
    }
    for (const auto uid : *uids) {
      if (!uid_set.empty()) uid_set += ',';
      uid_set += std::to_string(uid);
    }
  } else if (found->min_uid) {
    uid_set = std::to_string(*found->min_uid);
  }
  if (uid_set.empty()) return facts;

  imap::FetchRequest fetch;
  fetch.envelope = want_uids;
  fetch.internal_date = true;
  fetch.size = false;
  fetch.flags = false;
  auto fetched =
      client.uid_fetch(uid_set, fetch, [&](imap::FetchedMessage message) -> core::Result<void> {
        if (message.received_at &&
            (!facts.count.oldest || *message.received_at < *facts.count.oldest)) {
          facts.count.oldest = message.received_at;
        }
        if (want_uids) {
          MessageSample sample;
          sample.folder = folder;
          if (message.received_at) {
            sample.date = zoned(*message.received_at, std::chrono::seconds(0));
          } else {
            sample.date.known = false;
          }
          if (message.envelope && message.envelope->subject) {
            sample.subject = decode_encoded_words(*message.envelope->subject);
          }
          facts.sample.push_back(std::move(sample));
        }
        return {};
      });
  if (!fetched) return core::fail(fetched.error());
  return facts;
}

// The dialogue; run_mailbox_check adds the notes to whatever comes out of it.
monitor::PluginOutput check_mailbox(const MailboxCheckRequest& request,
                                    const OutputContext& context,
                                    std::chrono::steady_clock::time_point started) {
  auto with_elapsed = [&]() {
    OutputContext now = context;
    now.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    return now;
  };
  const StepLog log(request.logger);
  log.connecting(request.settings);
  imap::SyncClient client(log.traced(request.settings));
  if (auto connected = client.connect(); !connected) {
    log.debug("Error connecting to server", {{"error", connected.error().describe()}});
    return connect_error_output(request.settings.host,
                                "failed to connect to server: " + connected.error().describe(),
                                with_elapsed());
  }
  log.debug("Connection established to server");
  if (log.on(core::LogLevel::Debug)) {
    for (const auto& name : client.capabilities().sorted()) {
      log.debug("Capability", {{"capability", name}});
    }
  }
  log.debug("Logging in", {{"mailbox", request.mailbox}});
  if (auto logged_in = request.authenticate(client); !logged_in) {
    log.debug("Login error occurred", {{"error", logged_in.error().describe()}});
    if (logged_in.error().code().starts_with("store.")) {
      return token_store_error_output(logged_in.error().describe(), with_elapsed());
    }
    return login_error_output("login error occurred: " + logged_in.error().describe(),
                              with_elapsed());
  }
  log.debug("Logged in");
  log.debug("Listing mailboxes");
  auto listed = client.list("", "*");
  if (!listed) return check_error_output(listed.error().describe(), with_elapsed());
  std::vector<std::string> names;
  names.reserve(listed->size());
  for (const auto& entry : *listed) names.push_back(entry.name);
  log.debug("Mailboxes listed", {{"count", names.size()}});
  auto folders = validate_folders(request.folders, names);
  if (!folders) {
    log.debug("Folder check failed", {{"error", folders.error().message()}});
    // validate_folders words it `mailbox not found: "Junk"`; the folder is the first missing.
    for (const auto& folder : request.folders) {
      if (folders.error().message() == "mailbox not found: " + go_quote(folder)) {
        return mailbox_not_found_output(folder, with_elapsed());
      }
    }
    return check_error_output(folders.error().describe(), with_elapsed());
  }

  MailboxCheckResult result;
  result.mailbox = request.mailbox;
  result.requested_folders = request.folders;
  for (const auto& folder : *folders) {
    log.debug("Checking folder", {{"mailbox", folder}, {"unseen_only", request.unseen_only}});
    auto facts = check_folder(client, folder, request);
    if (!facts) {
      log.debug("Error checking folder",
                {{"mailbox", folder}, {"error", facts.error().describe()}});
      if (facts.error().code() == imap::error_code::kMailboxNotFound) {
        return mailbox_not_found_output(folder, with_elapsed());
      }
      return check_error_output(facts.error().describe(), with_elapsed());
    }
    log.debug("Messages found", {{"mailbox", folder}, {"messages", facts->count.messages}});
    result.folders.push_back(std::move(facts->count));
    for (auto& sample : facts->sample) result.sample.push_back(std::move(sample));
  }
  log.debug("Logging out");
  (void)client.logout();  // the counts are known; a failed goodbye changes nothing
  std::stable_sort(
      result.sample.begin(), result.sample.end(),
      [](const MessageSample& a, const MessageSample& b) { return a.date.utc < b.date.utc; });
  return mailbox_check_output(result, request.options, with_elapsed(), core::system_clock().now());
}

}  // namespace

monitor::PluginOutput run_mailbox_check(const MailboxCheckRequest& request,
                                        const OutputContext& context,
                                        std::chrono::steady_clock::time_point started) {
  monitor::PluginOutput output = check_mailbox(request, context, started);
  if (request.notes) {
    for (const auto& note : request.notes()) {
      if (!output.long_output.empty()) output.long_output += monitor::kOutputLineEnd;
      output.long_output += note;
    }
  }
  if (request.logger && request.logger->enabled(core::LogLevel::Debug)) {
    request.logger->debug("Check finished", {{"status_line", output.service_output},
                                             {"exit_code", output.exit_code()}});
  }
  return output;
}

int check_and_print(const MailboxCheckRequest& request, const std::string& version_line,
                    std::chrono::steady_clock::time_point started) {
  OutputContext context;
  if (!version_line.empty()) context.branding = branding_line(version_line);
  const auto output = run_mailbox_check(request, context, started);
  const std::string text = monitor::render(output);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  return output.exit_code();
}

}  // namespace mailoauth::compat
