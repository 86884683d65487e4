// The ready-made message path (`mailoauth send --raw`, sendmail mode) on top
// of header_block and address_list, without GMime, so the programs that only
// send ready messages never load it (message.hpp declares it; it lives in the
// main library). The message goes out as it came, except for a missing Date
// or Message-ID and, with -t, the Bcc header.
#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/mime/address_list.hpp"
#include "mailoauth/mime/header_block.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/mime/message_fields.hpp"

namespace mailoauth::mime {

namespace {

using core::ErrorClass;

// The envelope sender from the From header: its first well-formed address.
std::string sender_of(const HeaderBlock& block) {
  const HeaderField* field = block.find("From");
  if (field == nullptr) return {};
  auto addresses = address_list_addresses(field->value);
  if (!addresses) return {};
  for (const std::string& address : *addresses) {
    if (check_address(address, "sender")) return address;
  }
  return {};
}

// sendmail -t: every address of To, Cc and Bcc, each checked.
core::Result<std::vector<std::string>> header_recipients(const HeaderBlock& block) {
  std::vector<std::string> recipients;
  for (const char* name : {"To", "Cc", "Bcc"}) {
    for (const HeaderField* field : block.find_all(name)) {
      auto addresses = address_list_addresses(field->value);
      if (!addresses) return core::fail(std::move(addresses.error()).context(name));
      for (const std::string& address : *addresses) {
        if (auto checked = check_address(address, "recipient"); !checked) {
          return core::fail(std::move(checked.error()).context(name));
        }
        recipients.push_back(address);
      }
    }
  }
  return recipients;
}

}  // namespace

core::Result<Message> prepare_raw_message(std::string_view input,
                                          const std::vector<std::string>& recipients,
                                          const RawOptions& options) {
  if (input.size() > options.max_size) {
    return core::fail(ErrorClass::Permanent, "mime.too_large",
                      fmt::format("the message has {} bytes, more than the {} allowed",
                                  input.size(), options.max_size),
                      "send a smaller message (Exchange Online: 35 MB by SMTP)");
  }
  auto block = parse_header_block(input);
  if (!block) return core::fail(block.error());
  for (const auto& recipient : recipients) {
    if (auto checked = check_address(recipient, "recipient"); !checked) {
      return core::fail(checked.error());
    }
  }
  std::vector<std::string> from_headers;
  if (options.recipients_from_headers) {
    auto found = header_recipients(*block);
    if (!found) return core::fail(found.error());
    from_headers = std::move(*found);
  }
  std::string data(input);
  if (options.recipients_from_headers && block->find("Bcc") != nullptr) {
    data = remove_fields(input, *block, "Bcc");
    auto reparsed = parse_header_block(data);
    if (!reparsed) return core::fail(reparsed.error());
    *block = std::move(*reparsed);
  }
  const std::string from =
      options.envelope_from.empty() ? sender_of(*block) : options.envelope_from;
  if (from.empty()) {
    return core::fail(ErrorClass::Config, "mime.no_sender",
                      "the message has no From header and no envelope sender was given",
                      "add a From: header, or give an envelope sender");
  }
  Message result;
  std::vector<std::string> added;
  if (block->find("Date") == nullptr) {
    added.push_back("Date: " +
                    rfc5322_date(options.now.value_or(std::chrono::system_clock::now())));
  }
  if (const HeaderField* field = block->find("Message-ID")) {
    std::string id = field->value;
    std::erase_if(id, [](char c) { return c == '<' || c == '>' || c == ' ' || c == '\t'; });
    result.message_id = id;
  } else {
    result.message_id = make_message_id(
        options.message_id_domain.empty() ? domain_of(from) : options.message_id_domain);
    added.push_back("Message-ID: <" + result.message_id + ">");
  }
  if (!added.empty()) data = prepend_fields(data, *block, added);
  result.data = std::move(data);
  result.envelope_from = from;
  for (const auto& recipient : recipients) add_recipient(result.recipients, recipient);
  for (const auto& recipient : from_headers) add_recipient(result.recipients, recipient);
  if (result.recipients.empty()) {
    return core::fail(ErrorClass::Config, "mime.no_recipient", "the message has no recipient",
                      "give recipients, or take them from the To, Cc and Bcc headers");
  }
  result.needs_8bitmime = !is_ascii(result.data);
  result.needs_smtputf8 = !is_ascii(result.envelope_from) ||
                          std::any_of(result.recipients.begin(), result.recipients.end(),
                                      [](const auto& r) { return !is_ascii(r); });
  return result;
}

}  // namespace mailoauth::mime
