// Go token JSON, written by hand (the layout must match Go's encoder: tab
// indentation, field order, ": " separators, Go's string escaping) and read with
// nlohmann::json. Times use civil-date arithmetic, no time zone database.
#include "mailoauth/compat/go_token.hpp"

#include <ctime>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/compat/go_text.hpp"

namespace mailoauth::compat {

namespace {

using namespace std::chrono;

std::optional<int> digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::chrono::seconds local_utc_offset(core::Clock::WallTime time) {
  const std::time_t as_time_t = system_clock::to_time_t(time);
  std::tm parts{};
  localtime_r(&as_time_t, &parts);
  return seconds(parts.tm_gmtoff);
}

std::string format_rfc3339_nano(core::Clock::WallTime time, seconds utc_offset) {
  const auto local = time + utc_offset;
  const auto day = floor<days>(local);
  const year_month_day date{day};
  const hh_mm_ss<nanoseconds> clock{duration_cast<nanoseconds>(local - day)};
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  clock.hours().count(), clock.minutes().count(), clock.seconds().count());
  if (const auto nanos = clock.subseconds().count(); nanos != 0) {
    std::string fraction = fmt::format(".{:09}", nanos);
    while (fraction.back() == '0') fraction.pop_back();  // Go trims trailing zeros
    text += fraction;
  }
  if (utc_offset == seconds(0)) return text + "Z";
  const auto minutes_total = duration_cast<minutes>(utc_offset).count();
  const auto magnitude = minutes_total < 0 ? -minutes_total : minutes_total;
  return text + fmt::format("{}{:02}:{:02}", minutes_total < 0 ? '-' : '+', magnitude / 60,
                            magnitude % 60);
}

std::optional<core::Clock::WallTime> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  const auto year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
  const auto hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text.size() < 20 ||
      text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  std::size_t at = 19;
  nanoseconds fraction{0};
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::int64_t value = 0;
    int count = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      if (count < 9) {
        value = value * 10 + (text[at] - '0');
        ++count;
      }
      ++at;
    }
    if (count == 0) return std::nullopt;
    for (int i = count; i < 9; ++i) value *= 10;
    fraction = nanoseconds(value);
  }
  seconds offset{0};
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    const auto offset_hours = digits(text, at + 1, 2), offset_minutes = digits(text, at + 4, 2);
    if (!offset_hours || !offset_minutes || at + 6 > text.size() || text[at + 3] != ':') {
      return std::nullopt;
    }
    offset = hours(*offset_hours) + minutes(*offset_minutes);
    if (text[at] == '-') offset = -offset;
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  const auto local = sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second);
  return time_point_cast<core::Clock::WallTime::duration>(local - offset + fraction);
}

core::Secret format_go_token(const GoToken& token, seconds utc_offset) {
  std::string json = "{\n\t\"access_token\": " + go_json_string(token.access_token.reveal());
  if (!token.token_type.empty()) json += ",\n\t\"token_type\": " + go_json_string(token.token_type);
  if (!token.refresh_token.empty()) {
    json += ",\n\t\"refresh_token\": " + go_json_string(token.refresh_token.reveal());
  }
  json += ",\n\t\"expiry\": \"";
  json += token.expiry ? format_rfc3339_nano(*token.expiry, utc_offset) : "0001-01-01T00:00:00Z";
  json += "\"";
  if (token.expires_in != 0) json += fmt::format(",\n\t\"expires_in\": {}", token.expires_in);
  json += "\n}";
  return core::Secret::take(std::move(json));
}

core::Result<GoToken> parse_go_token(std::string_view text) {
  nlohmann::json object = nlohmann::json::parse(text, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    return core::fail(core::ErrorClass::Config, "token_file.not_json",
                      "the token file is not a JSON object");
  }
  GoToken token;
  const auto string_of = [&object](const char* key) -> std::optional<std::string> {
    const auto found = object.find(key);
    if (found == object.end() || found->is_null()) return std::string();
    if (!found->is_string()) return std::nullopt;
    return found->get<std::string>();
  };
  auto access = string_of("access_token");
  auto type = string_of("token_type");
  auto refresh = string_of("refresh_token");
  auto expiry = string_of("expiry");
  if (!access || !type || !refresh || !expiry) {
    return core::fail(core::ErrorClass::Config, "token_file.bad_field",
                      "a field of the token file has the wrong type");
  }
  token.access_token = core::Secret::take(std::move(*access));
  token.refresh_token = core::Secret::take(std::move(*refresh));
  token.token_type = std::move(*type);
  if (!expiry->empty() && *expiry != "0001-01-01T00:00:00Z") {
    token.expiry = parse_rfc3339(*expiry);
    if (!token.expiry) {
      return core::fail(
          core::ErrorClass::Config, "token_file.bad_expiry",
          fmt::format("the token file's expiry \"{}\" is not an RFC 3339 time", *expiry));
    }
  }
  if (const auto found = object.find("expires_in");
      found != object.end() && found->is_number_integer()) {
    token.expires_in = found->get<std::int64_t>();
  }
  for (const char* key : {"access_token", "refresh_token"}) {  // wipe the parsed copies
    if (auto found = object.find(key); found != object.end() && found->is_string()) {
      auto& value = found->get_ref<std::string&>();
      core::secure_wipe(value.data(), value.size());
    }
  }
  return token;
}

bool go_token_valid(const GoToken& token, core::Clock::WallTime now) {
  if (token.access_token.empty()) return false;
  if (!token.expiry) return true;
  return *token.expiry - seconds(10) >= now;
}

}  // namespace mailoauth::compat
