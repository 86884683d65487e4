// A line scanner over the header block: a field starts with a name of
// printable ASCII other than ':' and space, then ':'; a line starting with
// space or tab continues the previous field; the empty line ends the block.
// The address scanner below is a small state machine over one field value
// (comments nest, quoted strings and angle brackets are opaque) rather than
// GMime's parser, because this file is in the main library, which does not
// link GMime.
#include "mailoauth/mime/header_block.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::mime {

namespace {
using core::ErrorClass;

core::Error bad_header(std::string what) {
  return core::Error(ErrorClass::Permanent, "mime.bad_header",
                     "the message's header is not RFC 5322: " + std::move(what),
                     "give a complete message: header fields, an empty line, then the body");
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool contains_address(const std::vector<std::string>& list, std::string_view address) {
  for (const auto& entry : list) {
    if (core::iequals(entry, address)) return true;
  }
  return false;
}

// An envelope address must not change the field's structure when written.
bool writable_address(std::string_view address) {
  if (address.empty() || address.find_first_of(std::string_view("\r\n\0", 3)) != address.npos) {
    return false;
  }
  const bool quoted = address.front() == '"';
  return quoted || address.find_first_of(" \t,;:<>()\"\\") == std::string_view::npos;
}

// "Bcc: a@x, b@y", folded before an address that would pass 78 columns.
std::string bcc_field(const std::vector<std::string>& addresses, std::string_view line_end) {
  std::string field = "Bcc:";
  std::size_t column = field.size();
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const std::string& address = addresses[i];
    if (i > 0) {
      field += ',';
      ++column;
    }
    if (i > 0 && column + 1 + address.size() > 78) {
      field += line_end;
      column = 0;
    }
    field += ' ';
    field += address;
    column += 1 + address.size();
  }
  return field;
}
}  // namespace

const HeaderField* HeaderBlock::find(std::string_view name) const {
  for (const auto& field : fields) {
    if (core::iequals(field.name, name)) return &field;
  }
  return nullptr;
}

std::vector<const HeaderField*> HeaderBlock::find_all(std::string_view name) const {
  std::vector<const HeaderField*> found;
  for (const auto& field : fields) {
    if (core::iequals(field.name, name)) found.push_back(&field);
  }
  return found;
}

core::Result<HeaderBlock> parse_header_block(std::string_view message, std::size_t limit) {
  HeaderBlock block;
  std::size_t position = 0;
  std::size_t line_number = 0;
  while (true) {
    if (position > limit) {
      return core::fail(bad_header(fmt::format("the header is larger than {} bytes", limit)));
    }
    if (position >= message.size()) {  // no empty line: a message without a body
      block.body_offset = message.size();
      break;
    }
    const auto newline = message.find('\n', position);
    const std::size_t line_stop = newline == std::string_view::npos ? message.size() : newline + 1;
    std::string_view line = message.substr(position, line_stop - position);
    std::string_view content = line;
    if (content.ends_with('\n')) content.remove_suffix(1);
    if (content.ends_with('\r')) content.remove_suffix(1);
    ++line_number;
    if (line_number == 1) {
      block.line_end = line.ends_with("\r\n") ? "\r\n" : "\n";
    }
    if (content.find('\0') != std::string_view::npos) {
      return core::fail(bad_header(fmt::format("line {} contains a NUL byte", line_number)));
    }
    if (content.empty()) {
      if (block.fields.empty()) return core::fail(bad_header("it starts with an empty line"));
      block.body_offset = line_stop;
      break;
    }
    if (content.front() == ' ' || content.front() == '\t') {
      if (block.fields.empty()) {
        return core::fail(bad_header("it starts with a continuation line"));
      }
      HeaderField& field = block.fields.back();
      field.value += content;
      field.end = line_stop;
    } else {
      const auto colon = content.find(':');
      if (colon == std::string_view::npos || colon == 0) {
        return core::fail(
            bad_header(fmt::format("line {} is not a \"Name: value\" field", line_number)));
      }
      const std::string_view name = content.substr(0, colon);
      for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 32 || byte >= 127) {
          return core::fail(
              bad_header(fmt::format("the field name on line {} has a character "
                                     "a field name cannot have",
                                     line_number)));
        }
      }
      HeaderField field;
      field.name = std::string(name);
      std::string_view value = content.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      field.value = std::string(value);
      field.begin = position;
      field.end = line_stop;
      block.fields.push_back(std::move(field));
    }
    position = line_stop;
  }
  if (block.fields.empty()) return core::fail(bad_header("it has no header fields"));
  return block;
}

std::string remove_fields(std::string_view message, const HeaderBlock& block,
                          std::string_view name) {
  std::string out;
  out.reserve(message.size());
  std::size_t copied = 0;
  for (const auto& field : block.fields) {
    if (!core::iequals(field.name, name)) continue;
    out.append(message.substr(copied, field.begin - copied));
    copied = field.end;
  }
  out.append(message.substr(copied));
  return out;
}

std::string prepend_fields(std::string_view message, const HeaderBlock& block,
                           const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line;
    out += block.line_end;
  }
  out.append(message);
  return out;
}

std::vector<std::string> addresses_in(std::string_view value) {
  std::vector<std::string> found;
  std::string outside;  // the current entry's text outside comments and <...>
  std::string inside;   // the text inside <...>
  bool angled = false;  // this entry had <...>
  bool in_angle = false;
  bool in_quote = false;
  int comment_depth = 0;
  const auto finish = [&] {
    std::string_view address = trimmed(angled ? std::string_view(inside) : outside);
    if (angled && address.starts_with('@')) {  // obsolete route: <@relay:user@host>
      const auto colon = address.find(':');
      address = colon == std::string_view::npos ? std::string_view() : address.substr(colon + 1);
    }
    if (!address.empty()) found.emplace_back(address);
    outside.clear();
    inside.clear();
    angled = false;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    std::string& text = in_angle ? inside : outside;
    if (comment_depth > 0) {
      if (c == '\\') {
        ++i;
      } else if (c == '(') {
        ++comment_depth;
      } else if (c == ')') {
        --comment_depth;
      }
      continue;
    }
    if (in_quote) {
      text += c;
      if (c == '\\' && i + 1 < value.size()) {
        text += value[++i];
      } else if (c == '"') {
        in_quote = false;
      }
      continue;
    }
    if (c == '(') {
      comment_depth = 1;
    } else if (c == '"') {
      in_quote = true;
      text += c;
    } else if (in_angle) {
      if (c == '>') {
        in_angle = false;
      } else {
        inside += c;
      }
    } else if (c == '<') {
      in_angle = true;
      angled = true;
      inside.clear();
    } else if (c == ',' || c == ';') {
      finish();
    } else if (c == ':') {  // a group's name ends: its members follow
      outside.clear();
    } else {
      outside += c;
    }
  }
  finish();
  return found;
}

core::Result<EnvelopeBcc> write_envelope_bcc(std::string_view message,
                                             const std::vector<std::string>& envelope,
                                             std::size_t limit) {
  auto block = parse_header_block(message, limit);
  if (!block) return core::fail(block.error());
  std::vector<std::string> named;  // by To and Cc
  for (const auto& field : block->fields) {
    if (!core::iequals(field.name, "To") && !core::iequals(field.name, "Cc")) continue;
    for (auto& address : addresses_in(field.value)) named.push_back(std::move(address));
  }
  EnvelopeBcc result;
  for (const std::string& recipient : envelope) {
    if (!writable_address(recipient)) {
      return core::fail(ErrorClass::Config, "mime.bad_address",
                        fmt::format("\"{}\" cannot be written in a Bcc field",
                                    core::escape_control_characters(recipient)),
                        "give plain addresses (user@example.com) as recipients");
    }
    if (!contains_address(named, recipient) && !contains_address(result.bcc, recipient)) {
      result.bcc.push_back(recipient);
    }
  }
  for (const std::string& address : named) {
    if (!contains_address(envelope, address) && !contains_address(result.header_only, address)) {
      result.header_only.push_back(address);
    }
  }
  const bool had_bcc = block->find("Bcc") != nullptr;
  if (result.bcc.empty() && !had_bcc) {
    result.message = std::string(message);
    return result;
  }
  std::string without = had_bcc ? remove_fields(message, *block, "Bcc") : std::string(message);
  result.message = result.bcc.empty()
                       ? std::move(without)
                       : prepend_fields(without, *block, {bcc_field(result.bcc, block->line_end)});
  return result;
}

}  // namespace mailoauth::mime
