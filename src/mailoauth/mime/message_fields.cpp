// Shared message pieces; see message_fields.hpp.
#include "mailoauth/mime/message_fields.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>
#include <sodium.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"

namespace mailoauth::mime {

namespace {

std::string random_hex(std::size_t bytes) {
  if (sodium_init() < 0) return "0";
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex;
  for (const char c : raw) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return hex;
}

}  // namespace

bool has_line_break_or_nul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

core::Result<void> check_address(std::string_view address, std::string_view role) {
  const auto at = address.rfind('@');
  if (address.empty() || has_line_break_or_nul(address) ||
      address.find_first_of(" \t<>,") != std::string_view::npos || at == std::string_view::npos ||
      at == 0 || at + 1 == address.size()) {
    return core::fail(
        core::ErrorClass::Config, "mime.bad_address",
        fmt::format("\"{}\" is not a {} address", core::escape_control_characters(address), role),
        "write it as user@example.com (a display name goes in \"Name <user@...>\")");
  }
  return {};
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

std::string make_message_id(std::string_view domain) {
  return fmt::format("{}.mailoauth@{}", random_hex(12), domain.empty() ? "localhost" : domain);
}

std::string rfc5322_date(core::Clock::WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[utc.tm_wday], utc.tm_mday,
                     kMonths[utc.tm_mon], utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

void add_recipient(std::vector<std::string>& recipients, std::string_view address) {
  const bool known = std::any_of(recipients.begin(), recipients.end(),
                                 [&](const auto& r) { return core::iequals(r, address); });
  if (!known) recipients.emplace_back(address);
}

}  // namespace mailoauth::mime
