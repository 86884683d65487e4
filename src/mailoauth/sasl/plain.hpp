// PLAIN (RFC 4616): authzid NUL authcid NUL password. The Basic-auth path, kept
// for legacy clients talking to mailoauth's relay and for servers that still
// accept passwords. Build (client) and parse (server) as pure functions.
#pragma once

#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::sasl {

core::Result<core::Secret> plain_initial_response(std::string_view authzid,
                                                  std::string_view authcid,
                                                  const core::Secret& password);

struct PlainCredentials {
  std::string authzid;  // usually empty: act as authcid
  std::string authcid;
  core::Secret password;
};

core::Result<PlainCredentials> parse_plain_response(std::string_view response,
                                                    std::size_t max_size = kDefaultMaxResponseSize);

}  // namespace mailoauth::sasl
