// `mailoauth send`'s message and bounded input; see message_input.hpp.
#include "message_input.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/core/file_write.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/delivery/kept_message.hpp"

namespace mailoauth::send {

namespace {

using core::ErrorClass;
using core::Result;

// "a@x, b@y" given once or several times: each address as given.
Result<std::vector<mime::Mailbox>> mailboxes(const std::vector<std::string>& values,
                                             std::string_view option) {
  std::vector<mime::Mailbox> result;
  for (const std::string& value : values) {
    auto parsed = mime::parse_address_list(value);
    if (!parsed) {
      return core::fail(std::move(parsed.error()).context(fmt::format("--{}", option)));
    }
    result.insert(result.end(), parsed->begin(), parsed->end());
  }
  return result;
}

Result<mime::Message> raw_message(const SendOptions& options, const oauth2::Account* account,
                                  std::vector<std::string> recipients) {
  auto max = max_message_size();
  if (!max) return core::fail(max.error());
  auto input = read_bounded(options.raw, *max, "message");
  if (!input) return core::fail(input.error());
  mime::RawOptions raw;
  raw.recipients_from_headers = recipients.empty();
  raw.envelope_from = options.envelope_from;
  raw.max_size = *max;
  auto message = mime::prepare_raw_message(*input, recipients, raw);
  if (!message && message.error().code() == "mime.no_sender" && account != nullptr) {
    raw.envelope_from = account->user();
    message = mime::prepare_raw_message(*input, recipients, raw);
  }
  if (!message && message.error().code() == "mime.no_recipient") {
    message.error().with_remedy("give --to, --cc or --bcc, or To, Cc or Bcc headers in the file");
  }
  return message;
}

}  // namespace

Result<std::size_t> max_message_size() {
  const char* text = std::getenv("MAILOAUTH_MAX_MESSAGE_SIZE");
  if (text == nullptr || *text == '\0') return kDefaultMaxMessageSize;
  const std::string_view value(text);
  std::size_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
  std::string_view unit(end, value.data() + value.size());
  const int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : -1;
  if (error != std::errc{} || end == value.data() || shift < 0 || number == 0 ||
      number > (std::size_t{1} << (40 - shift))) {
    return core::fail(ErrorClass::Config, "send.bad_max_size",
                      fmt::format("MAILOAUTH_MAX_MESSAGE_SIZE \"{}\" is not a size",
                                  core::escape_control_characters(value)),
                      "give bytes, or a number with K, M or G (35M)");
  }
  return number << shift;
}

Result<std::string> read_bounded(const std::string& path, std::size_t max, std::string_view what) {
  const bool from_stdin = path == "-";
  const int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return core::fail(ErrorClass::Config, "send.unreadable",
                      fmt::format("cannot read the {} {}: {}", what, path, std::strerror(errno)),
                      "check the path and its permissions");
  }
  std::string data;
  char buffer[65536];
  int read_errno = 0;
  while (data.size() <= max) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) read_errno = errno;
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  if (!from_stdin) ::close(fd);
  if (read_errno != 0) {
    return core::fail(
        core::classify_errno(read_errno), "send.unreadable",
        fmt::format("cannot read the {} {}: {}", what, from_stdin ? "on standard input" : path,
                    std::strerror(read_errno)));
  }
  if (data.size() > max) {
    return core::fail(ErrorClass::Permanent, std::string(kTooLarge),
                      fmt::format("the {} is larger than the maximum of {} bytes", what, max),
                      "send a smaller message, or raise MAILOAUTH_MAX_MESSAGE_SIZE (Exchange "
                      "Online takes up to 35 MB by SMTP unless an admin raised it)");
  }
  return data;
}

Result<mime::Message> send_message_input(const SendOptions& options,
                                         const oauth2::Account* account) {
  if (auto checked = delivery::check_envelope_address(options.envelope_from, "envelope sender");
      !checked) {
    return core::fail(std::move(checked.error()).context("--envelope-from"));
  }
  auto to = mailboxes(options.to, "to");
  auto cc = mailboxes(options.cc, "cc");
  auto bcc = mailboxes(options.bcc, "bcc");
  for (auto* list : {&to, &cc, &bcc}) {
    if (!*list) return core::fail(list->error());
  }
  if (!options.raw.empty()) {
    std::vector<std::string> recipients;
    for (const auto* list : {&*to, &*cc, &*bcc}) {
      for (const auto& mailbox : *list) recipients.push_back(mailbox.address);
    }
    return raw_message(options, account, std::move(recipients));
  }
  mime::MessageDraft draft;
  std::string from = options.from;
  if (from.empty() && account != nullptr) from = account->user();
  if (from.empty() && account == nullptr) from = options.server.user;
  auto from_box = mime::parse_address_list(from);
  if (!from_box) {
    return core::fail(ErrorClass::Config, "send.no_from",
                      "no sender: give --from, or set mailbox in the account");
  }
  draft.from = from_box->front();
  draft.to = std::move(*to);
  draft.cc = std::move(*cc);
  draft.bcc = std::move(*bcc);
  auto reply_to = mailboxes(options.reply_to, "reply-to");
  if (!reply_to) return core::fail(reply_to.error());
  draft.reply_to = std::move(*reply_to);
  draft.subject = options.subject;
  auto max = max_message_size();
  if (!max) return core::fail(max.error());
  if (options.body) draft.text_body = *options.body;
  if (!options.body_file.empty()) {
    auto body = read_bounded(options.body_file, *max, "body");
    if (!body) return core::fail(body.error());
    draft.text_body = std::move(*body);
  }
  if (!options.html_file.empty()) {
    auto html = read_bounded(options.html_file, *max, "HTML body");
    if (!html) return core::fail(html.error());
    draft.html_body = std::move(*html);
  }
  for (const std::string& path : options.attachments) draft.attachments.push_back({path, {}, {}});
  auto message = mime::build_message(draft);
  if (!message && message.error().code() == "mime.no_recipient") {
    message.error().with_remedy("give at least one --to, --cc or --bcc");
  }
  if (message && !options.envelope_from.empty()) message->envelope_from = options.envelope_from;
  return message;
}

void print_dry_run(const mime::Message& message) {
  fmt::print("envelope from: <{}>\n", message.envelope_from);
  for (const std::string& recipient : message.recipients) {
    fmt::print("envelope to:   <{}>\n", recipient);
  }
  fmt::print("needs 8BITMIME: {}, SMTPUTF8: {}\n\n", message.needs_8bitmime ? "yes" : "no",
             message.needs_smtputf8 ? "yes" : "no");
  std::fwrite(message.data.data(), 1, message.data.size(), stdout);
}

}  // namespace mailoauth::send
