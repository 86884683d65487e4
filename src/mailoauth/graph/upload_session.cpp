// The three requests of an upload session. Each goes through
// perform_graph_step (repeats, Retry-After, logging); the chunk PUTs and the
// DELETE pass no token, so the Authorization header is never built for the
// upload origin. The chunk loop is bounded: a server that keeps asking for
// the same bytes ends it after kMaxStalls answers without progress. A 404
// from the upload URL is a session that expired (or the server ended): a
// temporary error of its own code, so the caller can start a new session.
#include "mailoauth/graph/upload_session.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/log.hpp"
#include "mailoauth/graph/upload_ranges.hpp"
#include "mailoauth/oauth2/form.hpp"

namespace mailoauth::graph {

namespace {

using core::ErrorClass;

constexpr int kMaxStalls = 3;

// The documented limitation, said where it bites.
constexpr std::string_view kSharedMailboxLimitation =
    "with a delegated token (a user signed in), Graph creates upload sessions only in the "
    "signed-in user's own mailbox: on a shared or another user's mailbox createUploadSession "
    "answers 403 (a known Graph limitation, outlook-large-attachments \"Known issues\"); send "
    "from that mailbox with an app-only token (client credentials, application permissions "
    "Mail.ReadWrite and Mail.Send), keep its attachments under 3 MB, or send it by SMTP";

core::Error bad_session(std::string what) {
  return core::Error(ErrorClass::Temporary, "graph.bad_upload_session",
                     "Graph's createUploadSession answer " + std::move(what),
                     "try again later; if it persists, report it with the request-id");
}

}  // namespace

std::string DraftAddress::url(std::string_view suffix) const {
  return fmt::format("{}/v1.0/users/{}/messages/{}{}", settings->base_url,
                     oauth2::form_escape(mailbox), oauth2::form_escape(message_id), suffix);
}

core::Result<UploadSession> create_upload_session(oauth2::HttpClient& http,
                                                  const DraftAddress& draft,
                                                  const core::Secret& access_token,
                                                  const UploadItem& item, oauth2::Sleeper& sleeper,
                                                  StepCounters& counters) {
  nlohmann::json attachment = {{"attachmentType", "file"},
                               {"name", item.name},
                               {"size", item.size},
                               {"contentType", item.content_type},
                               {"isInline", item.is_inline}};
  if (!item.content_id.empty()) attachment["contentId"] = item.content_id;
  const nlohmann::json body = {{"AttachmentItem", attachment}};
  oauth2::HttpRequest request;
  request.url = draft.url("/attachments/createUploadSession");
  request.content_type = "application/json";
  request.headers = {fmt::format("client-request-id: {}", draft.client_request_id)};
  request.body = core::Secret(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  const GraphStep step{"createUploadSession", {201, 200}, false};
  auto answer = perform_graph_step(http, *draft.settings, draft.mailbox, request, &access_token,
                                   step, draft.client_request_id, sleeper, counters);
  if (!answer) {
    core::Error error = std::move(answer.error());
    if (counters.status == 403) {
      error =
          core::Error(error.error_class(), error.code(), error.message(),
                      fmt::format("{}; otherwise: {}", kSharedMailboxLimitation, error.remedy()));
    }
    return core::fail(std::move(error));
  }
  const auto json = nlohmann::json::parse(answer->body, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return core::fail(bad_session("is not JSON"));
  const auto url = json.find("uploadUrl");
  if (url == json.end() || !url->is_string() || url->get_ref<const std::string&>().empty()) {
    return core::fail(bad_session("has no uploadUrl"));
  }
  UploadSession session;
  session.upload_url = url->get<std::string>();
  if (const auto expiry = json.find("expirationDateTime");
      expiry != json.end() && expiry->is_string()) {
    session.expiration = core::escape_control_characters(expiry->get<std::string>());
  }
  return session;
}

core::Result<UploadProgress> upload_chunks(oauth2::HttpClient& http, const DraftAddress& draft,
                                           const UploadSession& session, std::uint64_t total,
                                           const ChunkSource& source, oauth2::Sleeper& sleeper) {
  const std::uint64_t chunk_size = upload_chunk_size(draft.settings->upload_chunk_size);
  const GraphStep step{"upload (PUT to the upload URL)", {200, 201, 416, 404}, false};
  UploadProgress progress;
  std::uint64_t offset = 0;
  int stalls = 0;
  std::string buffer;
  while (true) {
    const ByteRange range = chunk_at(offset, total, chunk_size);
    if (auto read = source(range.first, static_cast<std::size_t>(range.size()), buffer); !read) {
      return core::fail(std::move(read.error()).context("reading the attachment"));
    }
    oauth2::HttpRequest request;
    request.method = "PUT";
    request.url = session.upload_url;
    request.content_type = "application/octet-stream";
    request.headers = {fmt::format("Content-Range: {}", content_range(range, total)),
                       fmt::format("client-request-id: {}", draft.client_request_id)};
    request.body = core::Secret::take(std::move(buffer));
    request.total_timeout =
        graph_deadline(*draft.settings, http.settings().total_timeout, request.body.size());
    StepCounters counters;
    auto answer = perform_graph_step(http, *draft.settings, draft.mailbox, request, nullptr, step,
                                     draft.client_request_id, sleeper, counters);
    if (!answer) return core::fail(std::move(answer.error()));
    if (answer->status == 404) {  // past its expirationDateTime, or ended by the server
      return core::fail(
          core::Error(ErrorClass::Temporary, std::string(kUploadSessionGone),
                      fmt::format("the upload session ended (404, expired{}) after {} of {} bytes",
                                  session.expiration.empty() ? "" : " at " + session.expiration,
                                  progress.bytes, total),
                      "try again later: a new upload session starts the attachment over"));
    }
    if (answer->status == 201) {
      ++progress.chunks;
      progress.bytes += range.size();
      progress.location = core::escape_control_characters(answer->header("Location"));
      return progress;
    }
    const std::uint64_t before = offset;
    auto ranges = parse_next_expected_ranges(answer->body);
    if (!ranges) {
      if (answer->status == 416) {
        return core::fail(core::Error(
            ErrorClass::Temporary, "graph.upload_range_refused",
            fmt::format("the upload session refused {} (416)", content_range(range, total)),
            "try again later"));
      }
      return core::fail(std::move(ranges.error()));
    }
    auto next = resume_offset(*ranges, total);
    if (!next) return core::fail(std::move(next.error()));
    if (answer->status == 200) {
      ++progress.chunks;
      progress.bytes += range.size();
    } else if (*next > before) {  // a 416 for a chunk taken before (its answer lost)
      ++progress.chunks;
      progress.bytes += *next - before;
    }
    offset = *next;
    if (offset <= before && ++stalls > kMaxStalls) {
      return core::fail(ErrorClass::Temporary, "graph.upload_stalled",
                        fmt::format("the upload session asked for byte {} again after {} tries",
                                    offset, kMaxStalls),
                        "try again later");
    }
  }
}

core::Result<void> cancel_upload_session(oauth2::HttpClient& http, const DraftAddress& draft,
                                         const UploadSession& session) {
  oauth2::HttpRequest request;
  request.method = "DELETE";
  request.url = session.upload_url;
  request.headers = {fmt::format("client-request-id: {}", draft.client_request_id)};
  GraphSettings once = *draft.settings;
  once.max_attempts = 1;
  StepCounters counters;
  oauth2::RealSleeper unused;
  const GraphStep step{"cancel the upload session (DELETE)", {204, 200, 404}, false};
  auto answer = perform_graph_step(http, once, draft.mailbox, request, nullptr, step,
                                   draft.client_request_id, unused, counters);
  if (!answer) return core::fail(std::move(answer.error()));
  return {};
}

}  // namespace mailoauth::graph
