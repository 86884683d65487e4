// The IMAP client's mailbox commands: LIST, STATUS, CREATE, DELETE,
// EXAMINE and SELECT, each a run_command() with a handler that reads its untagged data
// through mailbox_data.hpp; EXAMINE's (or SELECT's) answer becomes the session's
// SelectedMailbox, kept up to date by later EXISTS/EXPUNGE.
#include <fmt/format.h>

#include "mailoauth/imap/client_session.hpp"

namespace mailoauth::imap::detail {

using core::ErrorClass;
using std::chrono::milliseconds;

asio::awaitable<core::Result<std::vector<ListEntry>>> list_session(Client::Impl& impl,
                                                                   std::string reference,
                                                                   std::string pattern) {
  CommandBuilder command = impl.builder();
  command.text("LIST ");
  auto quoted = command.mailbox(reference);
  if (!quoted) co_return core::fail(quoted.error());
  command.text(" ");
  quoted = command.mailbox(pattern);
  if (!quoted) co_return core::fail(quoted.error());
  std::vector<ListEntry> entries;
  auto handler = [&entries](const Response& response) -> core::Result<void> {
    if (!response.is_data("LIST")) return {};
    auto entry = parse_list(response);
    if (!entry) return core::fail(entry.error());
    entries.push_back(std::move(*entry));
    return {};
  };
  auto answer = co_await run_command(impl, "LIST", command.finish(), handler, {}, false);
  if (!answer) co_return core::fail(answer.error());
  co_return entries;
}

asio::awaitable<core::Result<MailboxStatus>> status_session(Client::Impl& impl,
                                                            std::string mailbox) {
  CommandBuilder command = impl.builder();
  command.text("STATUS ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  command.text(" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)");
  std::optional<MailboxStatus> found;
  auto handler = [&found](const Response& response) -> core::Result<void> {
    if (!response.is_data("STATUS")) return {};
    auto status = parse_status(response);
    if (!status) return core::fail(status.error());
    found = std::move(*status);
    return {};
  };
  auto answer = co_await run_command(impl, "STATUS", command.finish(), handler, mailbox, false);
  if (!answer) co_return core::fail(answer.error());
  if (!found) co_return core::fail(protocol_error("STATUS answered OK without STATUS data"));
  found->name = mailbox;
  co_return std::move(*found);
}

// CREATE or DELETE of one mailbox (tests and tools make folders of their own).
asio::awaitable<core::Result<void>> mailbox_session(Client::Impl& impl, std::string verb,
                                                    std::string mailbox) {
  CommandBuilder command = impl.builder();
  command.text(verb + " ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  auto handler = [](const Response&) -> core::Result<void> { return {}; };
  auto answer = co_await run_command(impl, verb, command.finish(), handler, mailbox, false);
  if (!answer) co_return core::fail(answer.error());
  co_return core::Result<void>();
}

namespace {

// EXAMINE (read-only) or SELECT (read-write) of one mailbox.
asio::awaitable<core::Result<SelectedMailbox>> open_mailbox(Client::Impl& impl, std::string verb,
                                                            std::string mailbox) {
  CommandBuilder command = impl.builder();
  command.text(verb + " ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  impl.selected = SelectedMailbox{};
  impl.selected->name = mailbox;
  auto answer = co_await run_command(impl, verb, command.finish(), {}, mailbox, false);
  if (!answer) {
    impl.selected.reset();  // a failed SELECT/EXAMINE leaves no mailbox selected
    co_return core::fail(answer.error());
  }
  if (!impl.selected) co_return core::fail(not_connected());
  apply_to_selected(*impl.selected, *answer);
  SelectedMailbox selected = *impl.selected;
  co_return selected;
}

}  // namespace

asio::awaitable<core::Result<SelectedMailbox>> examine_session(Client::Impl& impl,
                                                               std::string mailbox) {
  auto result = co_await open_mailbox(impl, "EXAMINE", std::move(mailbox));
  co_return result;
}

asio::awaitable<core::Result<SelectedMailbox>> select_session(Client::Impl& impl,
                                                              std::string mailbox) {
  auto result = co_await open_mailbox(impl, "SELECT", std::move(mailbox));
  co_return result;
}

}  // namespace mailoauth::imap::detail
