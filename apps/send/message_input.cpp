// `mailoauth send`'s message and bounded input, without GMime: a built
// message is message_compose.cpp's; see message_input.hpp.
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
#include "mailoauth/mime/address_list.hpp"
#include "mailoauth/mime/message_fields.hpp"

#include "compose.hpp"

namespace mailoauth::send {

namespace {

using core::ErrorClass;
using core::Result;

// "a@x, b@y" given once or several times: the addresses, each checked.
Result<std::vector<std::string>> addresses(const std::vector<std::string>& values,
                                           std::string_view option) {
  std::vector<std::string> result;
  for (const std::string& value : values) {
    auto parsed = mime::address_list_addresses(value);
    if (!parsed) return core::fail(std::move(parsed.error()).context(fmt::format("--{}", option)));
    for (const std::string& address : *parsed) {
      if (auto checked = mime::check_address(address, "recipient"); !checked) {
        return core::fail(std::move(checked.error()).context(fmt::format("--{}", option)));
      }
      result.push_back(address);
    }
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
  if (options.raw.empty()) return composed_message(options, account);
  std::vector<std::string> recipients;
  for (const auto& [values, option] : {std::pair{&options.to, "to"}, std::pair{&options.cc, "cc"},
                                       std::pair{&options.bcc, "bcc"}}) {
    auto found = addresses(*values, option);
    if (!found) return core::fail(found.error());
    recipients.insert(recipients.end(), found->begin(), found->end());
  }
  return raw_message(options, account, std::move(recipients));
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
