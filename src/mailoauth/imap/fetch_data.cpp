// FETCH items: name/value pairs, with the shapes of UID, RFC822.SIZE, FLAGS,
// INTERNALDATE, ENVELOPE and BODY[...] checked. Other items (BODYSTRUCTURE,
// MODSEQ, X-GM-LABELS, ...) are kept as they came.
#include "mailoauth/imap/fetch_data.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::imap {

namespace {

core::Error bad_fetch(std::string why) {
  return core::Error(core::ErrorClass::Permanent, "imap.bad_data",
                     "the IMAP server's FETCH response is malformed: " + std::move(why));
}

bool is_body_section(std::string_view name) {
  return core::istarts_with(name, "BODY[") || core::istarts_with(name, "BINARY[") ||
         core::istarts_with(name, "RFC822");
}

core::Result<void> check_item(std::string_view name, const Value& value) {
  const auto refuse = [&](std::string_view expected) {
    return core::fail(
        bad_fetch(fmt::format("{} is {}, not {}", name, to_display(value), expected)));
  };
  if (name == "UID" || name == "RFC822.SIZE") {
    if (value.kind != Value::Kind::Number) return refuse("a 64-bit number");
  } else if (name == "FLAGS") {
    if (!value.is_list()) return refuse("a list of flags");
    for (const auto& flag : value.list) {
      if (flag.kind != Value::Kind::Atom) return refuse("a list of flags");
    }
  } else if (name == "INTERNALDATE") {
    if (value.kind != Value::Kind::String) return refuse("a quoted date");
  } else if (name == "ENVELOPE") {
    if (!value.is_list() || value.list.size() != 10) return refuse("a list of ten fields");
  } else if (is_body_section(name) && name != "RFC822.SIZE") {
    if (!value.as_nstring()) return refuse("a string or NIL");
  }
  return {};
}

}  // namespace

const Value* FetchData::find(std::string_view name) const {
  const auto found = items.find(ascii_upper(name));
  return found == items.end() ? nullptr : &found->second;
}

std::optional<std::uint64_t> FetchData::uid() const {
  const Value* value = find("UID");
  if (value == nullptr || value->kind != Value::Kind::Number) return std::nullopt;
  return value->number;
}

std::optional<std::uint64_t> FetchData::rfc822_size() const {
  const Value* value = find("RFC822.SIZE");
  if (value == nullptr || value->kind != Value::Kind::Number) return std::nullopt;
  return value->number;
}

std::optional<std::vector<std::string>> FetchData::flags() const {
  const Value* value = find("FLAGS");
  if (value == nullptr || !value->is_list()) return std::nullopt;
  std::vector<std::string> flags;
  for (const auto& flag : value->list) flags.push_back(flag.text);
  return flags;
}

std::optional<std::string> FetchData::internal_date() const {
  const Value* value = find("INTERNALDATE");
  if (value == nullptr || value->kind != Value::Kind::String) return std::nullopt;
  return value->text;
}

core::Result<FetchData> parse_fetch(const Response& response) {
  if (!response.is_data("FETCH") || !response.number) {
    return core::fail(bad_fetch("it is not a \"* n FETCH\" response"));
  }
  if (response.values.size() != 1 || !response.values.front().is_list()) {
    return core::fail(bad_fetch("its items are not one parenthesised list"));
  }
  FetchData data;
  data.sequence_number = *response.number;
  const auto& items = response.values.front().list;
  if (items.size() % 2 != 0) return core::fail(bad_fetch("an item without a value"));
  for (std::size_t i = 0; i < items.size(); i += 2) {
    if (items[i].kind != Value::Kind::Atom) {
      return core::fail(bad_fetch(to_display(items[i]) + " is not an item name"));
    }
    std::string name = ascii_upper(items[i].text);
    if (auto checked = check_item(name, items[i + 1]); !checked) return core::fail(checked.error());
    data.items.insert_or_assign(std::move(name), items[i + 1]);
  }
  return data;
}

}  // namespace mailoauth::imap
