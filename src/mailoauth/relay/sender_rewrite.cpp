// The header rewrite of sender_rewrite.hpp over mime::parse_header_block:
// fields are copied by their byte offsets, so what is not rewritten stays
// byte for byte; the new fields are built from unfolded values with control
// characters made spaces, then folded at spaces.
#include "mailoauth/relay/sender_rewrite.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/mime/header_block.hpp"

namespace mailoauth::relay {
namespace {

constexpr std::size_t kFoldColumn = 78;

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

// A value from the input as it may go into a new field: controls (tab
// included) become spaces, the ends trimmed.
std::string clean_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) out += is_control(c) ? ' ' : c;
  const auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

// "Name: value" folded before a space when the line would pass 78 columns
// (a word longer than that stays whole on its line), ended by `line_end`.
std::string folded_field(std::string_view name, std::string_view value, std::string_view line_end) {
  std::string out = fmt::format("{}:", name);
  std::size_t column = out.size();
  std::size_t position = 0;
  while (position <= value.size()) {
    const auto space = value.find(' ', position);
    const std::size_t stop = space == std::string_view::npos ? value.size() : space;
    const std::string_view word = value.substr(position, stop - position);
    if (!word.empty() && column > name.size() + 1 && column + 1 + word.size() > kFoldColumn) {
      out += line_end;
      column = 0;
    }
    out += ' ';
    out += word;
    column += 1 + word.size();
    if (space == std::string_view::npos) break;
    position = space + 1;
  }
  out += line_end;
  return out;
}

// The display name of a From value that is one mailbox in angle brackets
// ("Scanner" <s@x> → "Scanner"), as written; empty otherwise (a bare
// address, a list, a group, something unbalanced).
std::string display_name_of(std::string_view value) {
  int comment_depth = 0;
  bool quoted = false;
  std::size_t angle = std::string_view::npos;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (comment_depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++comment_depth;
      else if (c == ')')
        --comment_depth;
      continue;
    }
    if (c == '"')
      quoted = true;
    else if (c == '(')
      ++comment_depth;
    else if (c == ',' || c == ':' || c == ';')
      return {};  // a list or a group
    else if (c == '<') {
      if (angle != std::string_view::npos) return {};
      angle = i;
      const auto close = value.find('>', i);
      if (close == std::string_view::npos) return {};
      i = close;
    }
  }
  if (quoted || comment_depth != 0 || angle == std::string_view::npos) return {};
  return clean_value(value.substr(0, angle));
}

// A display name as written may hold an address ("a@x.com <a@x.com>", old
// clients do that), which is not a phrase: such a name is quoted whole.
std::string as_phrase(const std::string& name) {
  bool quoted = false;
  bool needs_quotes = false;
  for (std::size_t i = 0; i < name.size() && !needs_quotes; ++i) {
    const char c = name[i];
    if (c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && std::string_view("@[]>").find(c) != std::string_view::npos) {
      needs_quotes = true;
    }
  }
  if (!needs_quotes) return name;
  std::string phrase = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') phrase += '\\';
    phrase += c;
  }
  return phrase + "\"";
}

bool names_only(std::string_view value, std::string_view address) {
  const std::vector<std::string> found = mime::addresses_in(value);
  return found.size() == 1 && core::iequals(found.front(), address);
}

}  // namespace

bool is_rewrite_address(std::string_view address) {
  if (address.empty() || address.size() > 320) return false;
  const auto at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  for (const char c : address) {
    if (is_control(c) || c == ' ') return false;
    if (std::string_view("<>()[],;:\"\\").find(c) != std::string_view::npos) return false;
  }
  return true;
}

core::Result<std::string> rewrite_address_for(const RewriteTarget& target,
                                              std::string_view account_mailbox) {
  const std::string_view address = target.address.empty() ? account_mailbox : target.address;
  if (!is_rewrite_address(address)) {
    return core::fail(core::ErrorClass::Config, "relay.rewrite_address",
                      fmt::format("\"{}\" cannot be written as a sender",
                                  core::escape_control_characters(address)),
                      target.address.empty()
                          ? "give the account a mailbox address (its user), or name the address "
                            "in the route's rewrite key"
                          : "write a plain address such as mailbox@contoso.com");
  }
  return std::string(address);
}

core::Result<std::string> envelope_from_for(const SenderRewriteConfig& config,
                                            std::string_view account_mailbox,
                                            std::string_view original) {
  if (!config.envelope_from.enabled || original.empty()) return std::string(original);
  return rewrite_address_for(config.envelope_from, account_mailbox);
}

core::Result<HeaderRewrite> header_rewrite_for(const SenderRewriteConfig& config,
                                               std::string_view account_mailbox) {
  HeaderRewrite rewrite;
  if (!config.header_from.enabled) return rewrite;
  auto address = rewrite_address_for(config.header_from, account_mailbox);
  if (!address) return core::fail(address.error());
  rewrite.from = std::move(*address);
  rewrite.reply_to_original = config.keep_original_in_reply_to;
  return rewrite;
}

core::Result<RewrittenHeader> rewrite_header(std::string_view header, const HeaderRewrite& rewrite,
                                             std::size_t limit) {
  RewrittenHeader result;
  if (rewrite.from.empty()) {
    result.text = std::string(header);
    return result;
  }
  if (!is_rewrite_address(rewrite.from)) {
    return core::fail(core::ErrorClass::Bug, "relay.rewrite_address",
                      "the rewrite address was not checked before use");
  }
  auto block = mime::parse_header_block(header, limit);
  if (!block) return core::fail(block.error());
  const std::vector<const mime::HeaderField*> froms = block->find_all("From");
  if (froms.size() == 1 && names_only(froms.front()->value, rewrite.from)) {
    result.text = std::string(header);  // already the mailbox
    return result;
  }
  const std::string original = froms.empty() ? std::string() : clean_value(froms.front()->value);
  const std::string name =
      froms.empty() ? std::string() : as_phrase(display_name_of(froms.front()->value));
  std::string fields =
      folded_field("From", name.empty() ? rewrite.from : fmt::format("{} <{}>", name, rewrite.from),
                   block->line_end);
  if (rewrite.reply_to_original && !original.empty() && block->find("Reply-To") == nullptr) {
    fields += folded_field("Reply-To", original, block->line_end);
    result.reply_to_added = true;
  }
  result.from_rewritten = true;
  std::string& out = result.text;
  out.reserve(header.size() + fields.size());
  std::size_t copied = 0;
  bool written = false;
  for (const mime::HeaderField& field : block->fields) {
    const bool is_from = core::iequals(field.name, "From");
    const bool is_sender = core::iequals(field.name, "Sender");
    if (!is_from && !is_sender) continue;
    out.append(header.substr(copied, field.begin - copied));
    copied = field.end;
    if (is_sender) result.sender_removed = true;
    if (is_from && !written) {
      out += fields;
      written = true;
    }
  }
  if (!written) {  // no From at all: one after the last field
    const std::size_t end = block->fields.back().end;
    out.append(header.substr(copied, end - copied));
    copied = end;
    if (!out.ends_with('\n')) {  // the last line had no line end (a bare CR at most)
      if (out.ends_with('\r')) out.pop_back();
      out += block->line_end;
    }
    out += fields;
  }
  out.append(header.substr(copied));
  return result;
}

std::optional<std::size_t> header_section_end(std::string_view bytes) {
  if (bytes.starts_with("\n")) return 1;
  if (bytes.starts_with("\r\n")) return 2;
  for (std::size_t newline = bytes.find('\n'); newline != std::string_view::npos;
       newline = bytes.find('\n', newline + 1)) {
    const std::string_view after = bytes.substr(newline + 1);
    if (after.starts_with("\n")) return newline + 2;
    if (after.starts_with("\r\n")) return newline + 3;
  }
  return std::nullopt;
}

}  // namespace mailoauth::relay
