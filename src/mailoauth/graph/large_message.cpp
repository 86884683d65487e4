// The driver of large_message.hpp: checks that need no network first (size,
// split, Bcc, recipients), then the draft, the attachments in message
// order, and /send; a failure in between ends in one place (fail_with_draft)
// that cancels and deletes what was made. Microsoft's pages:
//   large mail     https://learn.microsoft.com/graph/outlook-large-attachments
//   create (MIME)  https://learn.microsoft.com/graph/api/user-post-messages
//   attachments    https://learn.microsoft.com/graph/api/message-post-attachments
//   upload session https://learn.microsoft.com/graph/api/attachment-createuploadsession
//   send a draft   https://learn.microsoft.com/graph/api/message-send
#include "mailoauth/graph/large_message.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/graph/draft_split.hpp"
#include "mailoauth/graph/graph_request.hpp"
#include "mailoauth/graph/upload_session.hpp"
#include "mailoauth/mime/transfer_decoder.hpp"
#include "mailoauth/oauth2/form.hpp"

namespace mailoauth::graph {

namespace {

using core::ErrorClass;

// Room kept in the draft's budget for the Bcc field written after the split.
constexpr std::size_t kBccReserve = 64 * 1024;

// An expired upload session is started over once; a second expiry ends the
// send (temporary: the relay tries again later, from a new draft).
constexpr int kUploadSessionsPerAttachment = 2;

constexpr std::string_view kReadWriteRemedy =
    "a message over ~3 MB is sent through a draft, and creating one needs Mail.ReadWrite besides "
    "Mail.Send (app-only: the application permission with admin consent; delegated: the scope)";

// Permanent: the message will never fit (graph.too_large is Graph's own
// 413, which a relay defers).
core::Error too_large(std::string message, std::string remedy) {
  return core::Error(ErrorClass::Permanent, "graph.over_max_size", std::move(message),
                     std::move(remedy));
}

core::Error with_message(const core::Error& error, std::string message) {
  core::Error changed(error.error_class(), error.code(), std::move(message), error.remedy());
  if (error.retry_after()) changed.with_retry_after(*error.retry_after());
  return changed;
}

// Sizes Graph would refuse, before anything is sent.
core::Result<void> check_sizes(const GraphSettings& settings, std::size_t message_size,
                               const DraftSplit& split) {
  const std::uint64_t limit = std::min(settings.max_message_size, kMaxUploadSessionSize);
  if (message_size > limit) {
    return core::fail(too_large(
        fmt::format("the message is {:.1f} MB: more than the {:.1f} MB the mailbox takes",
                    message_size / 1048576.0, limit / 1048576.0),
        "send a smaller message, or raise the mailbox's MaxSendSize (Set-Mailbox) and the "
        "account's graph_max_message_size (150 MB at most)"));
  }
  for (const auto& attachment : split.attachments) {
    if (attachment.size > kMaxUploadSessionSize) {
      return core::fail(too_large(
          fmt::format("the attachment \"{}\" is {} MB: more than Graph's 150 MB",
                      core::escape_control_characters(attachment.name), attachment.size >> 20),
          "share the file by link instead"));
    }
  }
  return {};
}

// Reads an attachment's decoded bytes from the source, forward only in the
// usual case; a resume before the current position starts the decoder over.
class AttachmentReader {
 public:
  explicit AttachmentReader(const TakenAttachment& attachment)
      : decoder_(attachment.encoded, attachment.transfer_encoding) {}

  core::Result<void> operator()(std::uint64_t offset, std::size_t length, std::string& out) {
    if (offset < decoder_.position()) decoder_.rewind();
    decoder_.skip(offset - decoder_.position());
    out.clear();
    out.reserve(length);
    while (out.size() < length && decoder_.read(out, length - out.size()) > 0) {
    }
    if (out.size() != length) {
      return core::fail(ErrorClass::Bug, "graph.attachment_short",
                        fmt::format("the attachment ended at byte {} of {}", offset + out.size(),
                                    offset + length));
    }
    return {};
  }

 private:
  mime::TransferDecoder decoder_;
};

struct LargeSend {
  oauth2::HttpClient& http;
  const GraphSettings& settings;
  std::string_view mailbox;
  const core::Secret& token;
  oauth2::Sleeper& sleeper;
  SendResult& result;
  long& status;

  core::Result<oauth2::HttpResponse> step(oauth2::HttpRequest& request, const GraphStep& what,
                                          const core::Secret* bearer) {
    StepCounters counters;
    auto answer = perform_graph_step(http, settings, mailbox, request, bearer, what,
                                     result.client_request_id, sleeper, counters);
    result.attempts += counters.attempts;
    if (counters.status == 401) status = 401;
    return answer;
  }

  oauth2::HttpRequest request(std::string url, std::string content_type, core::Secret body) {
    oauth2::HttpRequest made;
    made.url = std::move(url);
    made.content_type = std::move(content_type);
    made.headers = {fmt::format("client-request-id: {}", result.client_request_id)};
    made.total_timeout = graph_deadline(settings, http.settings().total_timeout, body.size());
    made.body = std::move(body);
    return made;
  }

  core::Result<std::string> create_draft(const std::string& mime) {
    auto made = request(
        fmt::format("{}/v1.0/users/{}/messages", settings.base_url, oauth2::form_escape(mailbox)),
        "text/plain", core::Secret::take(core::base64::encode(mime)));
    auto answer = step(made, {"POST messages (the draft)", {201}, false}, &token);
    if (!answer) {
      core::Error error = std::move(answer.error());
      if (error.code() == "graph.ErrorAccessDenied" || error.code() == "graph.denied") {
        error = core::Error(error.error_class(), error.code(), error.message(),
                            fmt::format("{}; {}", kReadWriteRemedy, error.remedy()));
      }
      return core::fail(std::move(error));
    }
    const auto json = nlohmann::json::parse(answer->body, nullptr, false);
    const auto id = json.is_object() ? json.find("id") : json.end();
    if (!json.is_object() || id == json.end() || !id->is_string() ||
        id->get_ref<const std::string&>().empty()) {
      return core::fail(ErrorClass::Temporary, "graph.bad_draft",
                        "Graph created the draft but its answer has no id",
                        "look for an unsent draft in the mailbox's Drafts folder");
    }
    return id->get<std::string>();
  }

  core::Result<void> add_small(const DraftAddress& draft, const TakenAttachment& attachment) {
    std::string bytes;
    AttachmentReader reader(attachment);
    if (auto read = reader(0, static_cast<std::size_t>(attachment.size), bytes); !read) {
      return core::fail(read.error());
    }
    nlohmann::json body = {{"@odata.type", "#microsoft.graph.fileAttachment"},
                           {"name", attachment.name},
                           {"contentType", attachment.content_type},
                           {"isInline", attachment.is_inline},
                           {"contentBytes", core::base64::encode(bytes)}};
    if (!attachment.content_id.empty()) body["contentId"] = attachment.content_id;
    bytes.clear();
    bytes.shrink_to_fit();
    auto made = request(
        draft.url("/attachments"), "application/json",
        core::Secret::take(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    body = nullptr;
    auto answer = step(made, {"POST attachments", {201}, false}, &token);
    if (!answer) return core::fail(std::move(answer.error()));
    ++result.attachments_added;
    return {};
  }

  // One upload session per attachment; when it answers 404 (it expired: a
  // slow link, a long Retry-After), one new session starts the attachment
  // over, as Microsoft's guidance for an expired session says.
  core::Result<void> upload_large(const DraftAddress& draft, const TakenAttachment& attachment) {
    const UploadItem item{attachment.name, attachment.content_type, attachment.content_id,
                          attachment.is_inline, attachment.size};
    for (int session_number = 1;; ++session_number) {
      StepCounters counters;
      auto session = create_upload_session(http, draft, token, item, sleeper, counters);
      result.attempts += counters.attempts;
      if (counters.status == 401) status = 401;
      if (!session) return core::fail(std::move(session.error()));
      ++result.upload_sessions;
      AttachmentReader reader(attachment);
      const ChunkSource source = [&reader](std::uint64_t offset, std::size_t length,
                                           std::string& out) {
        return reader(offset, length, out);
      };
      auto uploaded = upload_chunks(http, draft, *session, attachment.size, source, sleeper);
      if (uploaded) {
        result.chunks_uploaded += uploaded->chunks;
        result.bytes_uploaded += uploaded->bytes;
        return {};
      }
      core::Error error = std::move(uploaded.error());
      if (error.code() == kUploadSessionGone && session_number < kUploadSessionsPerAttachment) {
        if (settings.logger != nullptr) {
          settings.logger->log(core::LogLevel::Warn,
                               "Graph upload session ended; starting the attachment over",
                               {{"mailbox", mailbox},
                                {"attachment", attachment.name},
                                {"client_request_id", result.client_request_id}});
        }
        continue;
      }
      auto cancelled = cancel_upload_session(http, draft, *session);
      return core::fail(with_message(
          error, fmt::format("{}; the upload session {}", error.message(),
                             cancelled ? "was cancelled"
                                       : "could not be cancelled (" + cancelled.error().message() +
                                             "); it expires by itself")));
    }
  }

  core::Result<void> send_draft(const DraftAddress& draft) {
    auto made = request(draft.url("/send"), "application/json", core::Secret());
    auto answer = step(made, {"send", {202}, true}, &token);
    if (!answer) return core::fail(std::move(answer.error()));
    result.request_id = answer->header("request-id");
    return {};
  }

  // Deletes the draft (best effort) and says so in the error.
  core::Error fail_with_draft(const DraftAddress& draft, core::Error error) {
    oauth2::HttpRequest made = request(draft.url(), "application/json", core::Secret());
    made.method = "DELETE";
    GraphSettings once = settings;
    once.max_attempts = 2;
    StepCounters counters;
    auto deleted = perform_graph_step(http, once, mailbox, made, &token,
                                      {"DELETE the draft", {204, 404}, false},
                                      result.client_request_id, sleeper, counters);
    if (settings.logger != nullptr) {
      settings.logger->log(deleted ? core::LogLevel::Info : core::LogLevel::Warn,
                           deleted ? "Graph draft deleted after a failure"
                                   : "Graph draft could not be deleted after a failure",
                           {{"mailbox", mailbox}, {"client_request_id", result.client_request_id}});
    }
    return with_message(error,
                        fmt::format("{}; nothing was sent, and the draft {}", error.message(),
                                    deleted ? "was deleted"
                                            : "could not be deleted (" + deleted.error().message() +
                                                  "): delete it from the mailbox's Drafts folder"));
  }
};

}  // namespace

core::Result<void> send_large_mime(oauth2::HttpClient& http, const GraphSettings& settings,
                                   std::string_view mailbox, const core::Secret& access_token,
                                   std::string_view mime_message,
                                   const std::vector<std::string>& envelope_recipients,
                                   oauth2::Sleeper& sleeper, SendResult& result, long& status) {
  result.large = true;
  DraftLimits limits;
  const std::size_t request_budget = settings.max_request_size / 4 * 3;
  limits.max_draft_size =
      request_budget > 2 * kBccReserve ? request_budget - kBccReserve : request_budget / 2;
  auto split = split_for_draft(mime_message, limits);
  if (!split) return core::fail(std::move(split.error()));
  if (auto sizes = check_sizes(settings, mime_message.size(), *split); !sizes) {
    return core::fail(std::move(sizes.error()));
  }
  auto prepared = prepare_for_graph(split->draft, envelope_recipients);
  if (!prepared) return core::fail(std::move(prepared.error()));
  split->draft.clear();
  split->draft.shrink_to_fit();
  if (core::base64::encoded_size(prepared->data.size()) > settings.max_request_size) {
    return core::fail(too_large(
        fmt::format("the draft is {} KB with its Bcc field: more than a Graph request takes",
                    prepared->data.size() / 1024),
        "send it by SMTP"));
  }
  result.bcc_added = std::move(prepared->bcc_added);
  result.header_only_recipients = std::move(prepared->header_only);

  LargeSend send{http, settings, mailbox, access_token, sleeper, result, status};
  auto id = send.create_draft(prepared->data);
  if (!id) return core::fail(std::move(id.error()));
  prepared->data.clear();
  prepared->data.shrink_to_fit();
  const DraftAddress draft{&settings, mailbox, *id, result.client_request_id};
  for (const auto& attachment : split->attachments) {
    auto added = attachment.size < settings.small_attachment_size
                     ? send.add_small(draft, attachment)
                     : send.upload_large(draft, attachment);
    if (!added) return core::fail(send.fail_with_draft(draft, std::move(added.error())));
  }
  auto sent = send.send_draft(draft);
  if (!sent) {
    if (sent.error().code() == "graph.maybe_sent") return core::fail(std::move(sent.error()));
    return core::fail(send.fail_with_draft(draft, std::move(sent.error())));
  }
  return {};
}

}  // namespace mailoauth::graph
