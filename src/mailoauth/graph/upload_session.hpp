// One attachment of 3 to 150 MB uploaded to a Graph draft through an upload
// session (outlook-large-attachments, attachment-createuploadsession):
//   POST {base}/v1.0/users/{mailbox}/messages/{id}/attachments/createUploadSession
//     {"AttachmentItem":{"attachmentType":"file","name","size","contentType",
//     "isInline","contentId"}} -> 201 {"uploadUrl","expirationDateTime",...};
//   PUT uploadUrl, one chunk each, in order, Content-Range and Content-Length,
//     and NO Authorization header: the URL is pre-authenticated and on
//     another origin (outlook.office.com), and a bearer token sent there
//     would be a token given away (and is refused with 401);
//     200 {"nextExpectedRanges":[...]} per chunk, 201 with Location on the last;
//   DELETE uploadUrl cancels the session (also without Authorization).
// The bytes come from a ChunkSource one chunk at a time (an attachment is
// never held whole). The server's nextExpectedRanges decides where the next
// chunk starts, so a chunk whose answer was lost is sent again, not skipped.
// A delegated token on a shared or another user's mailbox gets 403 here (a
// documented Graph limitation): the error says so.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/graph/graph_request.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"

namespace mailoauth::graph {

inline constexpr std::uint64_t kMaxUploadSessionSize = std::uint64_t{150} * 1024 * 1024;

// The error code of an upload session that answered 404 (expired, or ended
// by the server): nothing of it counts, a new session starts over.
inline constexpr std::string_view kUploadSessionGone = "graph.upload_session_gone";

struct UploadItem {
  std::string name;
  std::string content_type;
  std::string content_id;  // empty: none
  bool is_inline = false;
  std::uint64_t size = 0;
};

struct UploadSession {
  std::string upload_url;
  std::string expiration;  // expirationDateTime, as Graph gave it
};

// Where the draft's attachments go: {base}/v1.0/users/{mailbox}/messages/{id}/attachments.
struct DraftAddress {
  const GraphSettings* settings = nullptr;
  std::string_view mailbox;
  std::string_view message_id;
  std::string_view client_request_id;

  // {base}/v1.0/users/{mailbox}/messages/{id}{suffix}, the ids escaped.
  std::string url(std::string_view suffix = {}) const;
};

core::Result<UploadSession> create_upload_session(oauth2::HttpClient& http,
                                                  const DraftAddress& draft,
                                                  const core::Secret& access_token,
                                                  const UploadItem& item, oauth2::Sleeper& sleeper,
                                                  StepCounters& counters);

// The attachment's decoded bytes [offset, offset + length) into `out`
// (replacing what it held).
using ChunkSource =
    std::function<core::Result<void>(std::uint64_t offset, std::size_t length, std::string& out)>;

struct UploadProgress {
  int chunks = 0;           // PUTs the server took
  std::uint64_t bytes = 0;  // bytes in them
  std::string location;     // the 201's Location
};

// Uploads `total` bytes; stops with an error (the caller cancels the session);
// a session that answers 404 ends with the code kUploadSessionGone.
core::Result<UploadProgress> upload_chunks(oauth2::HttpClient& http, const DraftAddress& draft,
                                           const UploadSession& session, std::uint64_t total,
                                           const ChunkSource& source, oauth2::Sleeper& sleeper);

// DELETE on the upload URL; best effort, its failure explained.
core::Result<void> cancel_upload_session(oauth2::HttpClient& http, const DraftAddress& draft,
                                         const UploadSession& session);

}  // namespace mailoauth::graph
