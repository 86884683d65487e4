// HTTPS for the identity servers (and later Microsoft Graph), through libcurl:
// certificate verification on (turning it off is explicit and logged as a
// warning on every request), TLS 1.2 at least, a CA bundle override, the
// standard proxy variables (https_proxy/HTTPS_PROXY, http_proxy, no_proxy/
// NO_PROXY) honoured as curl does, connect and total deadlines, a cap on the
// response size, no redirects (a redirected token request would carry its
// secrets elsewhere), HTTP and HTTPS only, and plain HTTP only to loopback
// unless allowed. Request bodies are Secrets; traces at `trace` level go
// through the logger's redaction. Transport failures come back classified:
// timeouts, DNS and refused connections are Temporary, an untrusted
// certificate or a malformed URL is Config.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

struct HttpSettings {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds total_timeout{30'000};
  std::size_t max_response_size = std::size_t{1} << 20;
  std::string ca_file;               // empty: the system's trust store
  bool verify_tls = true;            // false only by explicit user choice
  bool allow_insecure_http = false;  // http:// to hosts other than loopback
  std::string user_agent;            // empty: "mailoauth/<version>"
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"; not for credentials
  core::Secret body;                 // sent as is (see form.hpp)
  std::string content_type = "application/x-www-form-urlencoded";
  // The Authorization header's value ("Bearer x", "Basic y"), when not empty.
  core::Secret authorization;
  // This request's total deadline instead of the client's (a large upload).
  std::optional<std::chrono::milliseconds> total_timeout;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  std::string content_type;
  std::optional<std::chrono::seconds> retry_after;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response, as sent

  // The first header named `name` (ASCII case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpSettings settings = {}, core::Logger* logger = nullptr);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  // One request; the connection is kept for the next one to the same host.
  core::Result<HttpResponse> perform(const HttpRequest& request);

  const HttpSettings& settings() const;

  // Whether the last perform() handed its whole request, body included, to
  // the network. After a transport failure, false means the server cannot
  // have acted on it (a request that is not idempotent may be repeated);
  // true means it may have.
  bool last_request_sent() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date,
// relative to `now`; nullopt when absent or unparseable. Capped at one day.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// Whether a URL's host is loopback (127.0.0.0/8, ::1, localhost).
bool is_loopback_host(std::string_view host);

}  // namespace mailoauth::oauth2
