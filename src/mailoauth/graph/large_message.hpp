// A message too large for one sendMail request (its base64 over ~4 MB, the
// MIME over ~3 MB) sent through a draft, as Microsoft documents for large
// mail (outlook-large-attachments, message-post-attachments, message-send):
//   1. the draft, from the MIME with its largest attachments cut out
//      (draft_split.hpp) and the envelope's other recipients written into
//      Bcc as for sendMail: POST /users/{id}/messages, text/plain base64 ->
//      201 with its id (needs Mail.ReadWrite besides Mail.Send);
//   2. each cut attachment: under GraphSettings::small_attachment_size with
//      POST .../messages/{id}/attachments (a fileAttachment with
//      contentBytes), larger ones (up to 150 MB) through an upload session
//      (upload_session.hpp), decoded from the source chunk by chunk;
//   3. POST .../messages/{id}/send -> 202.
// Only step 3 sends: the earlier steps are repeated on 5xx and timeouts
// like on 429; /send is not, and a timeout or 500/502/504 there is
// graph.maybe_sent as for sendMail. Any failure before that deletes the
// draft (best effort; the error says whether it went) and cancels an open
// upload session. Up to GraphSettings::max_message_size (the mailbox's
// maximum, 35 MB by default). Memory: the source message once, the draft
// (< 3 MB), and one chunk (< 4 MB) with its request copy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"

namespace mailoauth::graph {

// One try with one token; `status` is 401 when Graph refused the token (the
// caller renews it once and calls again: nothing was sent). `result` gets
// the counts, the Bcc written and the request-id of the 202.
core::Result<void> send_large_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, const core::Secret& access_token,
                                   std::string_view mime_message,
                                   const std::vector<std::string>& envelope_recipients,
                                   oauth2::Sleeper& sleeper, SendResult& result, long& status);

}  // namespace mailoauth::graph
