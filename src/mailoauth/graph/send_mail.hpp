// Microsoft Graph sendMail with a MIME message: `POST {base}/v1.0/users/
// {mailbox}/sendMail`, Content-Type text/plain, the RFC 5322 message in
// base64 — the fallback when a tenant has SMTP AUTH switched off (Halon's
// relay does the same). 202 means Graph accepted it (not that it was
// delivered). Shaped by four facts of Graph (docs/sending.md cites the pages):
//   - it has no envelope: it delivers to the message's To, Cc and Bcc fields
//     only, so the envelope recipients those fields lack are written into a
//     Bcc field first (mime::write_envelope_bcc; Graph hides Bcc from the
//     recipients);
//   - sendMail is not idempotent: a request is repeated only when it provably
//     did not reach Graph (no connection, the body not fully sent, 429, 503
//     with Retry-After); a timeout after the body went out, a 500, 502 or 504
//     come back as "may have been sent" (graph.maybe_sent) instead;
//   - Retry-After is honoured in full, never shortened, within a total wait
//     the caller sets; beyond it the error carries the Retry-After so a relay
//     can defer the message;
//   - support needs the `request-id` and `client-request-id` response headers
//     (a throttled 429 has no innerError), so every request sends a
//     client-request-id and every answer is logged with both.
// A 401 asks the caller for a fresh token once; every other refusal comes
// back explained from a table of Graph's error codes. A message whose
// request would exceed Graph's ~4 MB limit goes the draft + upload session
// way instead (large_message.hpp), up to the mailbox's maximum size.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"

namespace mailoauth::mime {
struct Message;
}

namespace mailoauth::graph {

struct GraphSettings {
  // https://graph.microsoft.com; national clouds have their own host
  // (oauth2::microsoft_graph_url), tests the emulator's.
  std::string base_url = "https://graph.microsoft.com";
  std::size_t max_request_size = 4 * 1024 * 1024;  // of the base64 body
  // Requests in all, counting repeats of those that provably did not reach
  // Graph (and not the one repeat with a renewed token).
  int max_attempts = 4;
  // The most one call waits in total before repeating (Retry-After, backoff).
  // When Graph asks for more, the call ends with a Temporary error that
  // carries the Retry-After: a relay sets 0 and defers the message instead.
  std::chrono::seconds max_total_wait{300};
  // The request's deadline is the HTTP client's total timeout plus the
  // body's transfer time at this rate: 4 MB at 256 kbit/s take two minutes.
  std::size_t slowest_upload_bytes_per_second = 32 * 1024;
  core::Logger* logger = nullptr;  // each answer, with request-id and client-request-id
  // Messages over max_request_size (large_message.hpp): the mailbox's
  // maximum message size (Exchange Online: 35 MB by default, 150 MB at
  // most; the account's graph_max_message_size), attachments up to
  // small_attachment_size added in one request, larger ones uploaded in
  // chunks of upload_chunk_size (rounded to a multiple of 320 KiB, < 4 MB).
  std::uint64_t max_message_size = std::uint64_t{35} * 1024 * 1024;
  std::uint64_t small_attachment_size = 3'000'000;
  std::uint64_t upload_chunk_size = 12 * 320 * 1024;
};

struct SendResult {
  int attempts = 0;
  bool token_refreshed = false;
  std::string request_id;              // Graph's, from the 202
  std::string client_request_id;       // ours, the same for every attempt of this message
  std::vector<std::string> bcc_added;  // envelope recipients written into the Bcc field
  // In To/Cc but not in the envelope: Graph delivered to them as well.
  std::vector<std::string> header_only_recipients;
  // The large-message path: whether it was taken, and what it did.
  bool large = false;
  int attachments_added = 0;  // POST .../attachments
  int upload_sessions = 0;    // createUploadSession
  int chunks_uploaded = 0;    // PUTs to an upload URL that Graph took
  std::uint64_t bytes_uploaded = 0;
};

// The message as Graph must see it: the envelope recipients that To and Cc
// lack written into a Bcc field (mime::write_envelope_bcc), and at least one
// recipient (Graph's 400 ErrorInvalidRecipients otherwise).
struct GraphMessage {
  std::string data;
  std::vector<std::string> bcc_added;
  std::vector<std::string> header_only;
};
core::Result<GraphMessage> prepare_for_graph(std::string_view mime_message,
                                             const std::vector<std::string>& envelope);

// A new access token after a 401 (the caller's engine, with a forced renewal).
using RefreshToken = std::function<core::Result<core::Secret>()>;

// `envelope_recipients`: everyone the message is for (SMTP's RCPT TO); those
// missing from To/Cc are written into a Bcc field. Empty: the message's own
// To/Cc/Bcc fields are used as they are.
core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   std::string_view mime_message,
                                   const std::vector<std::string>& envelope_recipients,
                                   oauth2::Sleeper& sleeper, const RefreshToken& refresh = {});

// The same for a message mime:: built or prepared: its data, and its
// recipients as the envelope.
core::Result<SendResult> send_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, core::Secret access_token,
                                   const mime::Message& message, oauth2::Sleeper& sleeper,
                                   const RefreshToken& refresh = {});

// Graph's error body ({"error":{"code","message","innerError":{...}}}) for a
// status, explained; the request ids from the response headers (preferred to
// innerError's, which a 429 lacks). Exposed for tests and the catalogue docs.
// `operation` names the request in the message ("sendMail", "createUploadSession").
core::Error explain_graph_error(long status, std::string_view body, std::string_view mailbox,
                                std::string_view request_id = {},
                                std::string_view client_request_id = {},
                                std::string_view operation = "sendMail");

}  // namespace mailoauth::graph
