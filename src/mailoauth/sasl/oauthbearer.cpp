// OAUTHBEARER build and parse. The parser is strict where ambiguity would let a
// server and a client disagree about who is logging in (the GS2 header, the
// saslname escapes, duplicate keys) and tolerant where RFC 7628 is (unknown
// keys are ignored).
#include "mailoauth/sasl/oauthbearer.hpp"

#include <cctype>
#include <charconv>

#include <fmt/format.h>

#include "mailoauth/sasl/bearer_token.hpp"

namespace mailoauth::sasl {

std::string encode_saslname(std::string_view name) {
  std::string encoded;
  encoded.reserve(name.size());
  for (char c : name) {
    if (c == ',') {
      encoded += "=2C";
    } else if (c == '=') {
      encoded += "=3D";
    } else {
      encoded.push_back(c);
    }
  }
  return encoded;
}

core::Result<std::string> decode_saslname(std::string_view encoded) {
  std::string name;
  name.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '=') {
      name.push_back(encoded[i]);
      continue;
    }
    const std::string_view escape = encoded.substr(i, 3);
    if (escape == "=2C" || escape == "=2c") {
      name.push_back(',');
    } else if (escape == "=3D" || escape == "=3d") {
      name.push_back('=');
    } else {
      return core::fail(core::ErrorClass::Permanent, "sasl.bad_oauthbearer",
                        "malformed OAUTHBEARER response: '=' in the user name is not =2C or =3D");
    }
    i += 2;
  }
  return name;
}

core::Result<core::Secret> oauthbearer_initial_response(std::string_view user,
                                                        const core::Secret& token,
                                                        const OAuthBearerTarget& target) {
  if (auto checked = check_field("user name", user); !checked) return core::fail(checked.error());
  if (auto checked = check_field("access token", token.reveal()); !checked) {
    return core::fail(checked.error());
  }
  if (auto checked = check_field("host name", target.host); !checked) {
    return core::fail(checked.error());
  }
  if (token.empty()) {
    return core::fail(core::ErrorClass::Config, "sasl.empty_token",
                      "OAUTHBEARER needs an access token and it is empty");
  }
  std::string response = "n,";
  if (!user.empty()) response.append("a=").append(encode_saslname(user));
  response.append(",\x01");
  if (!target.host.empty()) response.append("host=").append(target.host).append("\x01");
  if (target.port) response.append(fmt::format("port={}\x01", *target.port));
  response.append("auth=Bearer ").append(token.reveal()).append("\x01\x01");
  return core::Secret::take(std::move(response));
}

core::Result<OAuthBearerCredentials> parse_oauthbearer_response(std::string_view response,
                                                                std::size_t max_size) {
  const auto refuse = [](std::string why) {
    return core::fail(core::ErrorClass::Permanent, "sasl.bad_oauthbearer",
                      "malformed OAUTHBEARER response: " + std::move(why));
  };
  if (response.size() > max_size) {
    return refuse(fmt::format("{} bytes, more than the {} allowed", response.size(), max_size));
  }
  // gs2-header = gs2-cb-flag "," [ authzid ] ","
  if (response.starts_with("p=")) return refuse("channel binding is not supported");
  if (!response.starts_with("n,") && !response.starts_with("y,")) {
    return refuse("the GS2 header must start with \"n,\" or \"y,\"");
  }
  std::size_t position = 2;
  const std::size_t header_end = response.find(',', position);
  if (header_end == std::string_view::npos) return refuse("the GS2 header is not closed by ','");
  OAuthBearerCredentials credentials;
  const std::string_view authzid = response.substr(position, header_end - position);
  if (!authzid.empty()) {
    if (!authzid.starts_with("a=")) return refuse("the authorization identity must be \"a=...\"");
    auto user = decode_saslname(authzid.substr(2));
    if (!user) return core::fail(user.error());
    if (user->empty()) return refuse("the authorization identity is empty");
    credentials.user = std::move(*user);
  }
  position = header_end + 1;
  if (position >= response.size() || response[position] != '\x01') {
    return refuse("the GS2 header must be followed by 0x01");
  }
  ++position;

  bool have_auth = false;
  bool have_host = false;
  while (true) {
    const std::size_t end = response.find('\x01', position);
    if (end == std::string_view::npos) return refuse("it does not end with 0x01 0x01");
    const std::string_view pair = response.substr(position, end - position);
    position = end + 1;
    if (pair.empty()) break;
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos || equals == 0)
      return refuse("a key=value pair is malformed");
    const std::string_view key = pair.substr(0, equals);
    const std::string_view value = pair.substr(equals + 1);
    for (char c : key) {
      if (!std::isalpha(static_cast<unsigned char>(c))) return refuse("a key is not alphabetic");
    }
    for (char c : value) {
      const auto byte = static_cast<unsigned char>(c);
      // value = *(VCHAR / SP / HTAB / CR / LF); UTF-8 beyond ASCII is let through.
      if (byte < 0x20 && c != '\t' && c != '\r' && c != '\n') {
        return refuse("a value contains a control character");
      }
    }
    if (key == "auth") {
      if (have_auth) return refuse("\"auth\" appears twice");
      auto token = parse_bearer_authorization(value);
      if (!token) return refuse(token.error().message());
      credentials.token = std::move(*token);
      have_auth = true;
    } else if (key == "host") {
      if (have_host) return refuse("\"host\" appears twice");
      credentials.host = std::string(value);
      have_host = true;
    } else if (key == "port") {
      if (credentials.port) return refuse("\"port\" appears twice");
      unsigned port = 0;
      const auto [end_of_number, error] =
          std::from_chars(value.data(), value.data() + value.size(), port);
      if (error != std::errc() || end_of_number != value.data() + value.size() || port > 65535) {
        return refuse("the port is not a number from 0 to 65535");
      }
      credentials.port = static_cast<std::uint16_t>(port);
    }
  }
  if (position != response.size()) return refuse("bytes after the terminating 0x01 0x01");
  if (!have_auth) return refuse("no auth field");
  return credentials;
}

}  // namespace mailoauth::sasl
