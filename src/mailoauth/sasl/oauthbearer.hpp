// OAUTHBEARER (RFC 7628): a GS2 header naming the user, then 0x01-separated
// key=value pairs, the bearer token in "auth", closed by 0x01 0x01:
//   "n,a=" SASLNAME "," 0x01 ["host=" H 0x01] ["port=" P 0x01] "auth=Bearer " T 0x01 0x01
// In the user name "," is written "=2C" and "=" is "=3D" (RFC 5801 saslname).
// Channel binding ("p=") is not offered by mail servers and is refused here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::sasl {

struct OAuthBearerTarget {
  std::string host;                   // sent when not empty
  std::optional<std::uint16_t> port;  // sent when set
};

core::Result<core::Secret> oauthbearer_initial_response(std::string_view user,
                                                        const core::Secret& token,
                                                        const OAuthBearerTarget& target = {});

struct OAuthBearerCredentials {
  std::string user;  // the authzid of the GS2 header, decoded; may be empty
  std::string host;
  std::optional<std::uint16_t> port;
  core::Secret token;
};

// Server side, with the grammar of RFC 7628 section 3.1 and an explicit size limit.
core::Result<OAuthBearerCredentials> parse_oauthbearer_response(
    std::string_view response, std::size_t max_size = kDefaultMaxResponseSize);

// What a client sends after a failure challenge: a single 0x01 (base64 "AQ==").
inline constexpr std::string_view kOAuthBearerFailureAnswer = "\x01";

// RFC 5801 saslname encoding and decoding (exposed for tests).
std::string encode_saslname(std::string_view name);
core::Result<std::string> decode_saslname(std::string_view encoded);

}  // namespace mailoauth::sasl
