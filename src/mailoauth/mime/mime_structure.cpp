// Breadth-first: the message is entity 0; each multipart entity, when its
// turn comes, is split at its delimiter lines into children appended to the
// list, so parents precede children and no recursion depends on the input.
// A delimiter is found with string_view::find (memchr-fast over a 20 MB
// base64 body) and accepted only at the start of a line and when nothing
// but white space follows it on that line (RFC 2046 section 5.1.1).
#include "mailoauth/mime/mime_structure.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/mime/header_block.hpp"
#include "mailoauth/mime/header_parameters.hpp"

namespace mailoauth::mime {

namespace {

using core::ErrorClass;

std::string trimmed_lower(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::string result(text);
  std::ranges::transform(result, result.begin(), core::ascii_lower);
  return result;
}

// Type, boundary, disposition, file name, Content-ID and encoding from the header.
void describe(Entity& entity, const HeaderBlock& block) {
  entity.content_type = "text/plain";
  if (const HeaderField* type = block.find("Content-Type")) {
    const ParameterizedValue parsed = parse_parameterized(type->value);
    if (parsed.value.find('/') != std::string::npos) entity.content_type = parsed.value;
    entity.boundary = parsed.parameter("boundary");
    entity.file_name = parsed.parameter("name");
  }
  if (const HeaderField* disposition = block.find("Content-Disposition")) {
    const ParameterizedValue parsed = parse_parameterized(disposition->value);
    entity.disposition = parsed.value;
    if (std::string name = parsed.parameter("filename"); !name.empty()) {
      entity.file_name = std::move(name);
    }
  }
  if (const HeaderField* id = block.find("Content-ID")) {
    std::string_view value = id->value;
    while (!value.empty() &&
           (value.front() == ' ' || value.front() == '\t' || value.front() == '<'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '>'))
      value.remove_suffix(1);
    entity.content_id = std::string(value);
  }
  if (const HeaderField* encoding = block.find("Content-Transfer-Encoding")) {
    entity.transfer_encoding = trimmed_lower(encoding->value);
  }
}

struct DelimiterLine {
  std::size_t start = 0;  // the first '-'
  std::size_t after = 0;  // the first byte after its line end
  bool close = false;
};

// The delimiter lines of `boundary` in [begin, end), up to and including the close.
std::vector<DelimiterLine> delimiter_lines(std::string_view message, std::size_t begin,
                                           std::size_t end, std::string_view boundary) {
  const std::string delimiter = fmt::format("--{}", boundary);
  std::vector<DelimiterLine> lines;
  std::size_t at = begin;
  while (at < end) {
    const std::size_t found = message.find(delimiter, at);
    if (found == std::string_view::npos || found + delimiter.size() > end) break;
    at = found + 1;
    if (found != begin && message[found - 1] != '\n') continue;
    std::size_t position = found + delimiter.size();
    DelimiterLine line{found, end, false};
    if (end - position >= 2 && message.substr(position, 2) == "--") {
      line.close = true;
      position += 2;
    }
    while (position < end && (message[position] == ' ' || message[position] == '\t')) ++position;
    if (position < end && message[position] == '\r' && position + 1 < end &&
        message[position + 1] == '\n') {
      ++position;
    }
    if (position < end && message[position] != '\n') continue;  // "--boundaryX": a longer one
    line.after = position < end ? position + 1 : end;
    lines.push_back(line);
    if (line.close) break;
    at = line.after;
  }
  return lines;
}

// Where a part's content ends: before the line end that belongs to the next delimiter.
std::size_t content_end(std::string_view message, std::size_t content_begin,
                        std::size_t next_start) {
  std::size_t end = next_start;
  if (end > content_begin && message[end - 1] == '\n') --end;
  if (end > content_begin && message[end - 1] == '\r') --end;
  return end;
}

// The child's header and body within [begin, end); an unreadable header
// makes it an opaque leaf.
Entity child_entity(std::string_view message, std::size_t part_begin, std::size_t begin,
                    std::size_t end, const StructureLimits& limits) {
  Entity child;
  child.part_begin = part_begin;
  child.begin = begin;
  child.end = end;
  child.content_type = "text/plain";
  const std::string_view text = message.substr(begin, end - begin);
  if (text.starts_with("\r\n") || text.starts_with("\n")) {  // no header: defaults
    child.body_begin = begin + (text.starts_with("\r\n") ? 2 : 1);
    return child;
  }
  auto block = parse_header_block(text, limits.max_header);
  if (!block) {
    child.content_type = "application/octet-stream";
    child.body_begin = begin;
    return child;
  }
  child.body_begin = begin + std::min(block->body_offset, text.size());
  describe(child, *block);
  return child;
}

}  // namespace

core::Result<MimeStructure> parse_mime_structure(std::string_view message,
                                                 const StructureLimits& limits) {
  auto top = parse_header_block(message, limits.max_header);
  if (!top) return core::fail(top.error());
  MimeStructure structure;
  structure.line_end = top->line_end;
  Entity root;
  root.body_begin = std::min(top->body_offset, message.size());
  root.end = message.size();
  describe(root, *top);
  structure.entities.push_back(std::move(root));
  for (std::size_t index = 0; index < structure.entities.size(); ++index) {
    const Entity parent = structure.entities[index];  // a copy: the list grows below
    if (!parent.multipart() || parent.boundary.empty()) continue;
    if (parent.depth + 1 > limits.max_depth) {
      return core::fail(
          ErrorClass::Permanent, "mime.too_deep",
          fmt::format("the message nests multiparts more than {} deep", limits.max_depth),
          "send a message with a flatter MIME structure");
    }
    const auto lines = delimiter_lines(message, parent.body_begin, parent.end, parent.boundary);
    for (std::size_t k = 0; k < lines.size() && !lines[k].close; ++k) {
      if (structure.entities.size() >= limits.max_entities) {
        return core::fail(
            ErrorClass::Permanent, "mime.too_many_parts",
            fmt::format("the message has more than {} MIME parts", limits.max_entities),
            "send a message with fewer parts");
      }
      const std::size_t begin = lines[k].after;
      const std::size_t end =
          k + 1 < lines.size() ? content_end(message, begin, lines[k + 1].start) : parent.end;
      Entity child = child_entity(message, lines[k].start, begin, std::max(begin, end), limits);
      child.parent = index;
      child.depth = parent.depth + 1;
      structure.entities[index].children.push_back(structure.entities.size());
      structure.entities.push_back(std::move(child));
    }
  }
  return structure;
}

}  // namespace mailoauth::mime
