// Fuzz target for the header-block scanner that sendmail mode and --raw run
// over whatever a program pipes in: parse, then remove Bcc and prepend a
// field, write Graph's envelope Bcc and scan every field as an address list;
// never crash, offsets always inside the message, and the edits keep the
// body byte for byte.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mailoauth/mime/header_block.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailoauth::mime;
  const std::string_view message(reinterpret_cast<const char*>(data), size);
  auto block = parse_header_block(message, 4096);
  if (!block) return 0;
  for (const auto& field : block->fields) {
    if (field.begin > field.end || field.end > message.size()) std::abort();
  }
  if (block->body_offset > message.size()) std::abort();
  const std::string_view body = message.substr(block->body_offset);
  const std::string without = remove_fields(message, *block, "Bcc");
  if (!std::string_view(without).ends_with(body)) std::abort();
  const std::string with = prepend_fields(message, *block, {"Date: x"});
  if (!std::string_view(with).ends_with(message)) std::abort();
  for (const auto& field : block->fields) (void)addresses_in(field.value);
  auto bcc = write_envelope_bcc(message, {"blind@example.com", "to@example.com"}, 4096);
  if (!bcc || !std::string_view(bcc->message).ends_with(body)) std::abort();
  return 0;
}
