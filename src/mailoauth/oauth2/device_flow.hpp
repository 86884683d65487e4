// The device authorization grant (RFC 8628), for machines without a browser:
// mailoauth asks for a device code, shows the user a short code and a URL to
// open on any other device, and polls the token endpoint until the user has
// signed in there. Polling honours the server's `interval` (5 s when absent),
// adds 5 s on `slow_down`, keeps going on `authorization_pending`, and stops
// with a clear error on `access_denied`, `expired_token` or when the code's
// lifetime (`expires_in`, 15 minutes at Microsoft) runs out. Google's device
// flow refuses Gmail scopes; Microsoft's works for Exchange (with "Allow public
// client flows" on the app registration).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

struct DeviceAuthorization {
  core::Secret device_code;
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  // may be empty
  std::chrono::seconds expires_in{900};
  std::chrono::seconds interval{5};
  std::string message;  // Microsoft's ready-made sentence, when sent
};

core::Result<DeviceAuthorization> start_device_authorization(
    HttpClient& http, const std::string& device_url, const ClientIdentity& client,
    const std::vector<std::string>& scopes);

// Parses the device authorization response (exposed for tests and fuzzing).
core::Result<DeviceAuthorization> parse_device_authorization(long http_status,
                                                             std::string_view body);

// Polls until tokens come or the flow ends. `clock` and `sleeper` decide time,
// so tests run without waiting.
core::Result<TokenResponse> poll_device_token(HttpClient& http, const std::string& token_url,
                                              const ClientIdentity& client,
                                              const DeviceAuthorization& authorization,
                                              const core::Clock& clock, Sleeper& sleeper);

}  // namespace mailoauth::oauth2
