// A line scanner over the header block: a field starts with a name of
// printable ASCII other than ':' and space, then ':'; a line starting with
// space or tab continues the previous field; the empty line ends the block.
#include "mailoauth/mime/header_block.hpp"

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"

namespace mailoauth::mime {

namespace {
using core::ErrorClass;

core::Error bad_header(std::string what) {
  return core::Error(ErrorClass::Permanent, "mime.bad_header",
                     "the message's header is not RFC 5322: " + std::move(what),
                     "give a complete message: header fields, an empty line, then the body");
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

}  // namespace mailoauth::mime
