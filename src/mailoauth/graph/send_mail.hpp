// Microsoft Graph sendMail with a MIME message: `POST {base}/v1.0/users/
// {mailbox}/sendMail`, Content-Type text/plain, the RFC 5322 message in
// base64 — the fallback when a tenant has SMTP AUTH switched off (Halon's
// relay does the same). 202 means Graph accepted it (not that it was
// delivered). 429 and 503 are retried after their Retry-After, a bounded
// number of times; a 401 asks the caller for a fresh token once; every
// other refusal comes back explained from a table of Graph's error codes
// (ErrorAccessDenied with RAOP, MailboxNotEnabledForRESTAPI,
// ErrorSendAsDenied, ...) with the request id Microsoft support asks for.
// Messages whose request would exceed Graph's ~4 MB limit are refused
// before sending with a Permanent error that says so: the draft + upload
// session path is not implemented yet.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"

namespace mailoauth::graph {

struct GraphSettings {
  std::string base_url = "https://graph.microsoft.com";  // national clouds, tests
  std::size_t max_request_size = 4 * 1024 * 1024;        // of the base64 body
  int max_attempts = 4;                                  // 429 / 503 / 504 retries
  std::chrono::seconds max_retry_after{120};
};

struct SendResult {
  int attempts = 0;
  bool token_refreshed = false;
};

// A new access token after a 401 (the caller's engine, with a forced renewal).
using RefreshToken = std::function<core::Result<core::Secret>()>;

core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   std::string_view mime_message, oauth2::Sleeper& sleeper,
                                   const RefreshToken& refresh = {});

// Graph's error body ({"error":{"code","message","innerError":{...}}}) for a
// status, explained; exposed for tests and the error catalogue docs.
core::Error explain_graph_error(long status, std::string_view body, std::string_view mailbox);

}  // namespace mailoauth::graph
