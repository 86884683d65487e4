// The kept-message format; see kept_message.hpp.
#include "mailoauth/delivery/kept_message.hpp"

#include <fmt/format.h>

#include "mailoauth/core/log.hpp"

namespace mailoauth::delivery {

core::Result<void> check_envelope_address(std::string_view address, std::string_view role) {
  for (const char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == ' ' || c == '<' || c == '>') {
      return core::fail(
          core::ErrorClass::Config, "delivery.bad_envelope_address",
          fmt::format("the {} \"{}\" contains {}", role, core::escape_control_characters(address),
                      byte < 0x20 || byte == 0x7f ? "a control character (CR, LF, NUL, ...)"
                                                  : "a space or an angle bracket"),
          "give the bare address, like bounces@example.com");
    }
  }
  return {};
}

std::string render_kept_message(std::string_view envelope_from,
                                const std::vector<std::string>& recipients, std::string_view data) {
  std::string contents = fmt::format("X-Mailoauth-Envelope-From: {}\r\n",
                                     core::escape_control_characters(envelope_from));
  for (const std::string& recipient : recipients) {
    contents +=
        fmt::format("X-Mailoauth-Envelope-To: {}\r\n", core::escape_control_characters(recipient));
  }
  contents += data;
  return contents;
}

std::string kept_file_name(std::string_view utc_stamp, long process_id,
                           std::string_view message_id) {
  std::string id(message_id.substr(0, 80));
  for (char& c : id) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '@';
    if (!keep) c = '_';
  }
  return fmt::format("{}-{}-{}.eml", utc_stamp, process_id, id);
}

}  // namespace mailoauth::delivery
