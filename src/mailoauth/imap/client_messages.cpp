// The IMAP client's message commands: UID SEARCH (ESEARCH's MIN MAX COUNT
// when offered, else windows of UIDs so no answer outgrows the line limit),
// UID FETCH streamed to a callback one message at a time, and APPEND with
// its flags, date and literal; UID STORE +FLAGS.SILENT and UID EXPUNGE (plain
// EXPUNGE without UIDPLUS) for the probes a round-trip check deletes; NOOP.
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/imap/client_session.hpp"
#include "mailoauth/imap/date_time.hpp"
#include "mailoauth/imap/fetch_data.hpp"

namespace mailoauth::imap::detail {

using core::ErrorClass;
using std::chrono::milliseconds;

namespace {

core::Result<void> check_command_text(std::string_view what, std::string_view text) {
  if (text.empty() || text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return core::fail(ErrorClass::Config, "imap.bad_argument",
                      fmt::format("the {} must be one line of text, and not empty", what));
  }
  return {};
}

void add_uids(SearchResult& result, std::vector<std::uint64_t>& found, bool want_uids) {
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  result.count += found.size();
  if (found.empty()) return;
  result.min_uid = result.min_uid ? std::min(*result.min_uid, found.front()) : found.front();
  result.max_uid = result.max_uid ? std::max(*result.max_uid, found.back()) : found.back();
  if (!want_uids) return;
  for (const std::uint64_t uid : found) {
    if (!result.uids.empty() && result.uids.back().last + 1 == uid) {
      result.uids.back().last = uid;
    } else {
      result.uids.push_back({uid, uid});
    }
  }
}

}  // namespace

asio::awaitable<core::Result<SearchResult>> search_session(Client::Impl& impl, std::string criteria,
                                                           bool want_uids) {
  auto checked = check_command_text("search criteria", criteria);
  if (!checked) co_return core::fail(checked.error());
  if (!impl.selected) {
    co_return core::fail(ErrorClass::Bug, "imap.no_mailbox", "UID SEARCH before EXAMINE");
  }
  SearchResult result;
  if (impl.settings.use_esearch && impl.capabilities.has("ESEARCH")) {
    std::optional<ExtendedSearch> found;
    auto handler = [&found](const Response& response) -> core::Result<void> {
      if (!response.is_data("ESEARCH")) return {};
      auto parsed = parse_esearch(response);
      if (!parsed) return core::fail(parsed.error());
      found = std::move(*parsed);
      return {};
    };
    const std::string line =
        fmt::format("UID SEARCH RETURN (MIN MAX COUNT{}) {}", want_uids ? " ALL" : "", criteria);
    auto answer = co_await run_command(impl, "UID SEARCH", one_line(line), handler, {}, false);
    if (!answer) co_return core::fail(answer.error());
    if (found) {  // no ESEARCH response at all means nothing matched
      result.count = found->count.value_or(0);
      result.min_uid = found->min;
      result.max_uid = found->max;
      result.uids = std::move(found->all);
    }
    co_return result;
  }
  // Plain SEARCH: windows of UIDs, so one answer stays one bounded line.
  std::vector<std::string> windows;
  const auto uidnext = impl.selected->uidnext;
  if (uidnext && impl.settings.search_window > 0) {
    for (std::uint64_t low = 1; low < *uidnext; low += impl.settings.search_window) {
      const std::uint64_t high = std::min(*uidnext - 1, low + impl.settings.search_window - 1);
      windows.push_back(fmt::format("UID SEARCH UID {}:{} {}", low, high, criteria));
    }
  } else {
    windows.push_back("UID SEARCH " + criteria);
  }
  for (const auto& line : windows) {
    std::vector<std::uint64_t> found;
    auto handler = [&found](const Response& response) -> core::Result<void> {
      if (!response.is_data("SEARCH")) return {};
      auto parsed = parse_search(response);
      if (!parsed) return core::fail(parsed.error());
      found.insert(found.end(), parsed->begin(), parsed->end());
      return {};
    };
    auto answer = co_await run_command(impl, "UID SEARCH", one_line(line), handler, {}, false);
    if (!answer) co_return core::fail(answer.error());
    add_uids(result, found, want_uids);
  }
  co_return result;
}

namespace {

std::string fetch_items(const FetchRequest& request) {
  std::string items = "UID";
  if (request.flags) items += " FLAGS";
  if (request.internal_date) items += " INTERNALDATE";
  if (request.size) items += " RFC822.SIZE";
  if (request.envelope) items += " ENVELOPE";
  if (!request.header_fields.empty()) {
    items += fmt::format(" BODY.PEEK[HEADER.FIELDS ({})]", fmt::join(request.header_fields, " "));
  }
  return items;
}

core::Result<FetchedMessage> to_message(const FetchData& data) {
  FetchedMessage message;
  message.sequence_number = data.sequence_number;
  message.uid = data.uid().value_or(0);
  message.flags = data.flags();
  message.internal_date = data.internal_date();
  if (message.internal_date) {
    auto parsed = parse_internal_date(*message.internal_date);
    if (parsed) message.received_at = *parsed;
  }
  message.size = data.rfc822_size();
  if (const Value* envelope = data.envelope()) {
    auto parsed = parse_envelope(*envelope);
    if (!parsed) return core::fail(parsed.error());
    message.envelope = std::move(*parsed);
  }
  for (const auto& [name, value] : data.items) {
    if (!core::istarts_with(name, "BODY[HEADER.FIELDS")) continue;
    const auto text = value.as_nstring();
    if (text && *text) message.header_fields = std::string(**text);
  }
  return message;
}

}  // namespace

namespace {

core::Result<void> check_uid_set(std::string_view uid_set) {
  if (uid_set.empty() || uid_set.find_first_not_of("0123456789:,*") != std::string::npos) {
    return core::fail(ErrorClass::Config, "imap.bad_argument",
                      "a UID set is digits, ':', ',' and '*' (\"1:*\", \"4,7:9\")");
  }
  return {};
}

core::Result<void> check_flags(const std::vector<std::string>& flags) {
  for (const auto& flag : flags) {
    if (flag.empty() || flag.find_first_of(" ()[]{}\"%*\r\n") != std::string::npos) {
      return core::fail(ErrorClass::Config, "imap.bad_argument",
                        fmt::format("\"{}\" is not a flag", core::escape_control_characters(flag)));
    }
  }
  return {};
}

}  // namespace

asio::awaitable<core::Result<std::uint64_t>> fetch_session(Client::Impl& impl, std::string uid_set,
                                                           FetchRequest request,
                                                           FetchCallback callback) {
  if (auto checked = check_uid_set(uid_set); !checked) co_return core::fail(checked.error());
  for (const auto& field : request.header_fields) {
    auto checked = check_command_text("header field name", field);
    if (!checked) co_return core::fail(checked.error());
    if (field.find_first_of(" ()[]\"") != std::string::npos) {
      co_return core::fail(ErrorClass::Config, "imap.bad_argument",
                           "a header field name has no spaces, brackets or quotes");
    }
  }
  std::uint64_t delivered = 0;
  auto handler = [&](const Response& response) -> core::Result<void> {
    if (!response.is_data("FETCH")) return {};
    auto data = parse_fetch(response);
    if (!data) return core::fail(data.error());
    if (!data->uid()) return {};  // an unsolicited flag update, not an answer
    auto message = to_message(*data);
    if (!message) return core::fail(message.error());
    ++delivered;
    return callback(std::move(*message));
  };
  const std::string line = fmt::format("UID FETCH {} ({})", uid_set, fetch_items(request));
  auto answer = co_await run_command(impl, "UID FETCH", one_line(line), handler, {}, true);
  if (!answer) co_return core::fail(answer.error());
  co_return delivered;
}

asio::awaitable<core::Result<AppendResult>> append_session(Client::Impl& impl, std::string mailbox,
                                                           std::string message,
                                                           AppendOptions options) {
  CommandBuilder command = impl.builder();
  command.text("APPEND ");
  auto quoted = command.mailbox(mailbox);
  if (!quoted) co_return core::fail(quoted.error());
  if (!options.flags.empty()) {
    if (auto checked = check_flags(options.flags); !checked) co_return core::fail(checked.error());
    command.text(fmt::format(" ({})", fmt::join(options.flags, " ")));
  }
  if (options.internal_date) {
    command.text(fmt::format(" \"{}\"", format_internal_date(*options.internal_date)));
  }
  command.text(" ");
  command.literal(message, TraceAs::Summary);
  auto answer = co_await run_command(impl, "APPEND", command.finish(), {}, mailbox, false);
  if (!answer) co_return core::fail(answer.error());
  AppendResult result;
  if (answer->code && answer->code->name == "APPENDUID" && answer->code->arguments.size() >= 2 &&
      answer->code->arguments[0].kind == Value::Kind::Number &&
      answer->code->arguments[1].kind == Value::Kind::Number) {
    result.uidvalidity = answer->code->arguments[0].number;
    result.uid = answer->code->arguments[1].number;
  }
  co_return result;
}

asio::awaitable<core::Result<void>> add_flags_session(Client::Impl& impl, std::string uid_set,
                                                      std::vector<std::string> flags) {
  if (auto checked = check_uid_set(uid_set); !checked) co_return core::fail(checked.error());
  if (auto checked = check_flags(flags); !checked) co_return core::fail(checked.error());
  if (flags.empty()) co_return core::Result<void>();
  if (!impl.selected) {
    co_return core::fail(ErrorClass::Bug, "imap.no_mailbox", "UID STORE before SELECT");
  }
  const std::string line =
      fmt::format("UID STORE {} +FLAGS.SILENT ({})", uid_set, fmt::join(flags, " "));
  auto answer = co_await run_command(impl, "UID STORE", one_line(line), {}, {}, false);
  if (!answer) co_return core::fail(answer.error());
  co_return core::Result<void>();
}

asio::awaitable<core::Result<void>> expunge_session(Client::Impl& impl, std::string uid_set) {
  if (auto checked = check_uid_set(uid_set); !checked) co_return core::fail(checked.error());
  if (!impl.selected) {
    co_return core::fail(ErrorClass::Bug, "imap.no_mailbox", "EXPUNGE before SELECT");
  }
  // Without UIDPLUS, EXPUNGE removes every \Deleted message of the mailbox,
  // also ones another client flagged: the only way such a server offers.
  const bool by_uid = impl.capabilities.has("UIDPLUS");
  const std::string line = by_uid ? "UID EXPUNGE " + uid_set : std::string("EXPUNGE");
  auto answer =
      co_await run_command(impl, by_uid ? "UID EXPUNGE" : "EXPUNGE", one_line(line), {}, {}, false);
  if (!answer) co_return core::fail(answer.error());
  co_return core::Result<void>();
}

asio::awaitable<core::Result<void>> noop_session(Client::Impl& impl) {
  auto answer = co_await run_command(impl, "NOOP", one_line("NOOP"), {}, {}, false);
  if (!answer) co_return core::fail(answer.error());
  co_return core::Result<void>();
}

}  // namespace mailoauth::imap::detail
