// LIST, STATUS, SEARCH and ESEARCH read from the value tree. Each reader
// checks the shape it needs and says which part was wrong; a field a newer
// server adds (LIST-EXTENDED data, STATUS SIZE, ESEARCH MODSEQ) is skipped,
// not refused, so a server upgrade cannot break a check.
#include "mailoauth/imap/mailbox_data.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/imap/modified_utf7.hpp"

namespace mailoauth::imap {

namespace {

core::Error bad_data(std::string_view what, std::string why) {
  return core::Error(core::ErrorClass::Permanent, "imap.bad_data",
                     fmt::format("the IMAP server's {} response is malformed: {}", what, why));
}

core::Result<std::string> mailbox_name(std::string_view as_sent, MailboxNameEncoding encoding) {
  if (encoding == MailboxNameEncoding::Utf8) return std::string(as_sent);
  return decode_modified_utf7(as_sent);
}

std::optional<std::uint64_t> number_of(const Value& value) {
  if (value.kind == Value::Kind::Number) return value.number;
  return std::nullopt;
}

}  // namespace

bool ListEntry::has_flag(std::string_view flag) const {
  for (const auto& entry : flags) {
    if (core::iequals(entry, flag)) return true;
  }
  return false;
}

core::Result<ListEntry> parse_list(const Response& response, MailboxNameEncoding encoding) {
  if (!response.is_data("LIST") && !response.is_data("LSUB")) {
    return core::fail(bad_data("LIST", "it is not a LIST or LSUB response"));
  }
  const auto& values = response.values;
  if (values.size() < 3) return core::fail(bad_data("LIST", "fewer than three values"));
  if (!values[0].is_list()) return core::fail(bad_data("LIST", "the flags are not a list"));
  ListEntry entry;
  for (const auto& flag : values[0].list) {
    if (flag.kind != Value::Kind::Atom) {
      return core::fail(bad_data("LIST", "a flag that is not an atom: " + to_display(flag)));
    }
    entry.flags.push_back(flag.text);
  }
  if (!values[1].is_nil()) {
    if (values[1].kind != Value::Kind::String || values[1].text.size() != 1) {
      return core::fail(bad_data(
          "LIST", "the delimiter is neither one character nor NIL: " + to_display(values[1])));
    }
    entry.delimiter = values[1].text.front();
  }
  const auto name = values[2].as_astring();
  if (!name) return core::fail(bad_data("LIST", "the mailbox name is " + to_display(values[2])));
  entry.name_as_sent = std::string(*name);
  auto decoded = mailbox_name(*name, encoding);
  if (!decoded) return core::fail(decoded.error());
  entry.name = std::move(*decoded);
  return entry;
}

core::Result<MailboxStatus> parse_status(const Response& response, MailboxNameEncoding encoding) {
  if (!response.is_data("STATUS")) {
    return core::fail(bad_data("STATUS", "it is not a STATUS response"));
  }
  const auto& values = response.values;
  if (values.size() != 2 || !values[1].is_list()) {
    return core::fail(bad_data("STATUS", "it is not a mailbox name and a list"));
  }
  const auto name = values[0].as_astring();
  if (!name) return core::fail(bad_data("STATUS", "the mailbox name is " + to_display(values[0])));
  MailboxStatus status;
  auto decoded = mailbox_name(*name, encoding);
  if (!decoded) return core::fail(decoded.error());
  status.name = std::move(*decoded);
  const auto& items = values[1].list;
  if (items.size() % 2 != 0) return core::fail(bad_data("STATUS", "an item without a value"));
  for (std::size_t i = 0; i < items.size(); i += 2) {
    if (items[i].kind != Value::Kind::Atom) {
      return core::fail(bad_data("STATUS", "an item name that is not an atom"));
    }
    std::optional<std::uint64_t>* slot = nullptr;
    if (items[i].is_atom("MESSAGES")) slot = &status.messages;
    if (items[i].is_atom("RECENT")) slot = &status.recent;
    if (items[i].is_atom("UIDNEXT")) slot = &status.uidnext;
    if (items[i].is_atom("UIDVALIDITY")) slot = &status.uidvalidity;
    if (items[i].is_atom("UNSEEN")) slot = &status.unseen;
    if (slot == nullptr) continue;
    const auto number = number_of(items[i + 1]);
    if (!number) {
      return core::fail(bad_data("STATUS", fmt::format("{} is {}, not a number", items[i].text,
                                                       to_display(items[i + 1]))));
    }
    *slot = *number;
  }
  return status;
}

core::Result<std::vector<std::uint64_t>> parse_search(const Response& response) {
  if (!response.is_data("SEARCH")) {
    return core::fail(bad_data("SEARCH", "it is not a SEARCH response"));
  }
  std::vector<std::uint64_t> numbers;
  numbers.reserve(response.values.size());
  for (std::size_t i = 0; i < response.values.size(); ++i) {
    const Value& value = response.values[i];
    if (value.is_list() && i + 1 == response.values.size()) break;  // (MODSEQ n)
    const auto number = number_of(value);
    if (!number) {
      return core::fail(bad_data("SEARCH", to_display(value) + " is not a message number"));
    }
    numbers.push_back(*number);
  }
  return numbers;
}

core::Result<ExtendedSearch> parse_esearch(const Response& response) {
  if (!response.is_data("ESEARCH")) {
    return core::fail(bad_data("ESEARCH", "it is not an ESEARCH response"));
  }
  const auto& values = response.values;
  ExtendedSearch result;
  std::size_t i = 0;
  if (i < values.size() && values[i].is_list()) {  // (TAG "A282")
    const auto& correlator = values[i].list;
    if (correlator.size() != 2 || !correlator[0].is_atom("TAG") || !correlator[1].as_astring()) {
      return core::fail(bad_data("ESEARCH", "the search correlator is not (TAG tag)"));
    }
    result.tag = std::string(*correlator[1].as_astring());
    ++i;
  }
  if (i < values.size() && values[i].is_atom("UID")) {
    result.uid = true;
    ++i;
  }
  for (; i < values.size(); i += 2) {
    if (values[i].kind != Value::Kind::Atom) {
      return core::fail(bad_data("ESEARCH", to_display(values[i]) + " is not a result name"));
    }
    if (i + 1 == values.size()) {
      return core::fail(bad_data("ESEARCH", values[i].text + " without a value"));
    }
    const Value& value = values[i + 1];
    const std::string& name = values[i].text;
    if (values[i].is_atom("ALL")) {
      const auto text = value.as_astring();
      if (!text || value.kind == Value::Kind::String) {
        return core::fail(bad_data("ESEARCH", "ALL is " + to_display(value)));
      }
      auto ranges = parse_number_set(*text);
      if (!ranges) return core::fail(ranges.error());
      result.all = std::move(*ranges);
      continue;
    }
    std::optional<std::uint64_t>* slot = nullptr;
    if (values[i].is_atom("MIN")) slot = &result.min;
    if (values[i].is_atom("MAX")) slot = &result.max;
    if (values[i].is_atom("COUNT")) slot = &result.count;
    if (slot == nullptr) continue;  // MODSEQ, PARTIAL, ...: one value each
    const auto number = number_of(value);
    if (!number) {
      return core::fail(
          bad_data("ESEARCH", fmt::format("{} is {}, not a number", name, to_display(value))));
    }
    *slot = *number;
  }
  return result;
}

core::Result<std::vector<NumberRange>> parse_number_set(std::string_view text) {
  const auto refuse = [text](std::string_view why) {
    return core::fail(bad_data("ESEARCH", fmt::format("the set \"{}\" {}", text, why)));
  };
  const auto number = [](std::string_view digits) -> std::optional<std::uint64_t> {
    if (digits.empty() || digits.size() > 20) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      const auto digit = static_cast<std::uint64_t>(c - '0');
      if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
      value = value * 10 + digit;
    }
    return value;
  };
  std::vector<NumberRange> ranges;
  std::size_t position = 0;
  while (true) {
    const std::size_t comma = text.find(',', position);
    const std::string_view part = text.substr(position, comma - position);
    const std::size_t colon = part.find(':');
    const auto first = number(part.substr(0, colon));
    const auto last = colon == std::string_view::npos ? first : number(part.substr(colon + 1));
    if (!first || !last || *first == 0 || *last == 0) {
      return refuse("is not a list of non-zero numbers and ranges");
    }
    ranges.push_back(NumberRange{std::min(*first, *last), std::max(*first, *last)});
    if (comma == std::string_view::npos) break;
    position = comma + 1;
  }
  return ranges;
}

core::Result<std::vector<std::uint64_t>> expand_ranges(const std::vector<NumberRange>& ranges,
                                                       std::size_t max_numbers) {
  std::uint64_t total = 0;
  for (const auto& range : ranges) {
    const std::uint64_t size = range.last - range.first + 1;  // 0 only for the full 2^64 range
    if (size == 0 || size > max_numbers || total + size > max_numbers) {
      return core::fail(core::ErrorClass::Permanent, "imap.too_many_numbers",
                        fmt::format("the search result holds more than {} numbers", max_numbers));
    }
    total += size;
  }
  std::vector<std::uint64_t> numbers;
  numbers.reserve(static_cast<std::size_t>(total));
  for (const auto& range : ranges) {
    for (std::uint64_t n = range.first;; ++n) {
      numbers.push_back(n);
      if (n == range.last) break;
    }
  }
  return numbers;
}

}  // namespace mailoauth::imap
