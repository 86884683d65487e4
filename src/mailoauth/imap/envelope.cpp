// ENVELOPE's fixed ten-field shape checked field by field; each address is a
// four-element list (name, source route, mailbox, host) of nstrings.
#include "mailoauth/imap/envelope.hpp"

#include <fmt/format.h>

namespace mailoauth::imap {

namespace {

core::Error bad_envelope(std::string_view why) {
  return core::Error(core::ErrorClass::Permanent, "imap.bad_data",
                     fmt::format("the server sent an invalid ENVELOPE: {}", why));
}

core::Result<std::optional<std::string>> nstring(const Value& value, std::string_view field) {
  const auto text = value.as_nstring();
  if (!text) return core::fail(bad_envelope(fmt::format("{} is not a string or NIL", field)));
  if (!*text) return std::optional<std::string>();
  return std::optional<std::string>(std::string(**text));
}

core::Result<std::vector<EnvelopeAddress>> addresses(const Value& value, std::string_view field) {
  std::vector<EnvelopeAddress> out;
  if (value.is_nil()) return out;
  if (!value.is_list()) return core::fail(bad_envelope(fmt::format("{} is not a list", field)));
  for (const Value& entry : value.list) {
    if (!entry.is_list() || entry.list.size() != 4) {
      return core::fail(bad_envelope(fmt::format("an address in {} has not four fields", field)));
    }
    auto name = nstring(entry.list[0], field);
    auto mailbox = nstring(entry.list[2], field);
    auto host = nstring(entry.list[3], field);
    if (!name) return core::fail(name.error());
    if (!mailbox) return core::fail(mailbox.error());
    if (!host) return core::fail(host.error());
    if (!*host) continue;  // group start ("mailbox" is the group name) or end (both NIL)
    out.push_back({std::move(*name), mailbox->value_or(""), std::move(**host)});
  }
  return out;
}

}  // namespace

std::string EnvelopeAddress::address() const {
  if (host.empty()) return mailbox;
  return mailbox + "@" + host;
}

core::Result<Envelope> parse_envelope(const Value& value) {
  if (!value.is_list() || value.list.size() != 10) {
    return core::fail(bad_envelope("expected a list of ten fields"));
  }
  const auto& fields = value.list;
  Envelope envelope;
  auto date = nstring(fields[0], "date");
  auto subject = nstring(fields[1], "subject");
  auto in_reply_to = nstring(fields[8], "in-reply-to");
  auto message_id = nstring(fields[9], "message-id");
  for (auto* text : {&date, &subject, &in_reply_to, &message_id}) {
    if (!*text) return core::fail(text->error());
  }
  envelope.date = std::move(*date);
  envelope.subject = std::move(*subject);
  envelope.in_reply_to = std::move(*in_reply_to);
  envelope.message_id = std::move(*message_id);
  const std::pair<std::vector<EnvelopeAddress>*, const char*> lists[] = {
      {&envelope.from, "from"}, {&envelope.sender, "sender"}, {&envelope.reply_to, "reply-to"},
      {&envelope.to, "to"},     {&envelope.cc, "cc"},         {&envelope.bcc, "bcc"},
  };
  for (std::size_t i = 0; i < 6; ++i) {
    auto parsed = addresses(fields[2 + i], lists[i].second);
    if (!parsed) return core::fail(parsed.error());
    *lists[i].first = std::move(*parsed);
  }
  return envelope;
}

}  // namespace mailoauth::imap
