// GMime behind the message builder (the raw-message path, which needs no
// GMime, is raw_message.cpp in the main library). Text bodies go out quoted-printable when they are
// not plain ASCII, attachments base64, so a built message never needs 8BITMIME; lines end in CRLF.
// GObject handles are owned by unique_ptrs with g_object_unref.
#include "mailoauth/mime/message.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <gmime/gmime.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/mime/message_fields.hpp"

// GMime's GObject type macros (GMIME_OBJECT, INTERNET_ADDRESS_IS_GROUP, ...)
// expand to C casts.
#pragma GCC diagnostic ignored "-Wold-style-cast"

namespace mailoauth::mime {

namespace {

using core::ErrorClass;

void gmime_ready() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct GObjectUnref {
  void operator()(void* object) const noexcept {
    if (object != nullptr) g_object_unref(object);
  }
};
template <typename T>
using GPtr = std::unique_ptr<T, GObjectUnref>;

void collect(InternetAddressList* list, std::vector<Mailbox>& out) {
  const int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      collect(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address));
      const char* name = internet_address_get_name(address);
      out.push_back({name != nullptr ? name : "", addr != nullptr ? addr : ""});
    }
  }
}

core::Result<std::string> read_attachment(const Attachment& attachment) {
  std::ifstream stream(attachment.path, std::ios::binary);
  if (!stream) {
    return core::fail(ErrorClass::Config, "mime.attachment",
                      fmt::format("cannot read the attachment {}: {}", attachment.path.string(),
                                  std::strerror(errno)),
                      "check the path and that this user may read it");
  }
  std::error_code error;
  const auto size = std::filesystem::file_size(attachment.path, error);
  if (!error && size > kMaxAttachmentSize) {
    return core::fail(ErrorClass::Config, "mime.attachment_too_large",
                      fmt::format("{} has {} bytes; mailoauth attaches at most {} MB",
                                  attachment.path.string(), size, kMaxAttachmentSize >> 20),
                      "Exchange Online accepts 35 MB per message by SMTP (Graph: 4 MB without "
                      "an upload session): share large files by link");
  }
  std::string data(error ? 0 : size, '\0');
  stream.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(stream.gcount()));
  return data;
}

GPtr<GMimeObject> text_part(const char* subtype, const std::string& text) {
  GPtr<GMimeTextPart> part(g_mime_text_part_new_with_subtype(subtype));
  g_mime_text_part_set_text(part.get(), text.c_str());
  GMimePart* as_part = GMIME_PART(part.get());
  g_mime_part_set_content_encoding(
      as_part, g_mime_part_get_best_content_encoding(as_part, GMIME_ENCODING_CONSTRAINT_7BIT));
  return GPtr<GMimeObject>(GMIME_OBJECT(part.release()));
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  struct Known {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr std::array<Known, 24> kTypes{{
      {".pdf", "application/pdf"},
      {".txt", "text/plain"},
      {".log", "text/plain"},
      {".csv", "text/csv"},
      {".htm", "text/html"},
      {".html", "text/html"},
      {".xml", "application/xml"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".svg", "image/svg+xml"},
      {".tif", "image/tiff"},
      {".tiff", "image/tiff"},
      {".zip", "application/zip"},
      {".gz", "application/gzip"},
      {".ics", "text/calendar"},
      {".eml", "message/rfc822"},
      {".doc", "application/msword"},
      {".xls", "application/vnd.ms-excel"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
  }};
  for (const auto& known : kTypes) {
    if (file_name.size() > known.extension.size() &&
        core::iequals(file_name.substr(file_name.size() - known.extension.size()),
                      known.extension)) {
      return known.type;
    }
  }
  return "application/octet-stream";
}

core::Result<std::vector<Mailbox>> parse_address_list(std::string_view text) {
  if (has_line_break_or_nul(text)) {
    return core::fail(ErrorClass::Config, "mime.bad_address",
                      "an address list may not contain CR, LF or NUL",
                      "give the addresses on one line, separated by commas");
  }
  gmime_ready();
  const std::string copy(text);
  std::vector<Mailbox> boxes;
  if (InternetAddressList* list = internet_address_list_parse(nullptr, copy.c_str())) {
    collect(list, boxes);
    g_object_unref(list);
  }
  std::erase_if(boxes, [](const Mailbox& box) { return box.address.empty(); });
  if (boxes.empty()) {
    return core::fail(ErrorClass::Config, "mime.bad_address",
                      fmt::format("no address in \"{}\"", core::escape_control_characters(text)),
                      "write user@example.com or \"Name <user@example.com>\"");
  }
  return boxes;
}

// Long on purpose (~100 lines): the MIME tree is built top-down in one place
// so its structure (alternative inside mixed) reads as the message it makes.
core::Result<Message> build_message(const MessageDraft& draft) {
  if (auto checked = check_address(draft.from.address, "sender"); !checked) {
    return core::fail(checked.error());
  }
  for (const auto* list : {&draft.to, &draft.cc, &draft.bcc, &draft.reply_to}) {
    for (const auto& box : *list) {
      if (auto checked = check_address(box.address, "recipient"); !checked) {
        return core::fail(checked.error());
      }
      if (has_line_break_or_nul(box.name)) {
        return core::fail(ErrorClass::Config, "mime.bad_name",
                          "a display name may not contain CR, LF or NUL");
      }
    }
  }
  if (draft.to.empty() && draft.cc.empty() && draft.bcc.empty()) {
    return core::fail(ErrorClass::Config, "mime.no_recipient", "the message has no recipient",
                      "give it at least one To, Cc or Bcc recipient");
  }
  if (has_line_break_or_nul(draft.subject) || has_line_break_or_nul(draft.from.name)) {
    return core::fail(ErrorClass::Config, "mime.bad_subject",
                      "the subject and the sender's name may not contain CR, LF or NUL");
  }
  gmime_ready();
  GPtr<GMimeMessage> message(g_mime_message_new(TRUE));
  const auto add = [&](GMimeAddressType type, const std::vector<Mailbox>& boxes) {
    for (const auto& box : boxes) {
      g_mime_message_add_mailbox(message.get(), type, box.name.empty() ? nullptr : box.name.c_str(),
                                 box.address.c_str());
    }
  };
  add(GMIME_ADDRESS_TYPE_FROM, {draft.from});
  add(GMIME_ADDRESS_TYPE_TO, draft.to);
  add(GMIME_ADDRESS_TYPE_CC, draft.cc);
  add(GMIME_ADDRESS_TYPE_REPLY_TO, draft.reply_to);  // Bcc: never in the header
  g_mime_message_set_subject(message.get(), draft.subject.c_str(), "utf-8");
  const auto when = draft.date.value_or(std::chrono::system_clock::now());
  GDateTime* date = g_date_time_new_from_unix_utc(
      static_cast<gint64>(std::chrono::system_clock::to_time_t(when)));
  g_mime_message_set_date(message.get(), date);
  g_date_time_unref(date);
  Message result;
  result.message_id = make_message_id(
      draft.message_id_domain.empty() ? domain_of(draft.from.address) : draft.message_id_domain);
  g_mime_message_set_message_id(message.get(), result.message_id.c_str());

  GPtr<GMimeObject> body;
  if (!draft.text_body.empty() && !draft.html_body.empty()) {
    GPtr<GMimeMultipart> alternative(g_mime_multipart_new_with_subtype("alternative"));
    g_mime_multipart_add(alternative.get(), text_part("plain", draft.text_body).get());
    g_mime_multipart_add(alternative.get(), text_part("html", draft.html_body).get());
    body.reset(GMIME_OBJECT(alternative.release()));
  } else if (!draft.html_body.empty()) {
    body = text_part("html", draft.html_body);
  } else {
    body = text_part("plain", draft.text_body);
  }
  if (!draft.attachments.empty()) {
    GPtr<GMimeMultipart> mixed(g_mime_multipart_new_with_subtype("mixed"));
    g_mime_multipart_add(mixed.get(), body.get());
    for (const auto& attachment : draft.attachments) {
      auto data = read_attachment(attachment);
      if (!data) return core::fail(data.error());
      const std::string name =
          attachment.file_name.empty() ? attachment.path.filename().string() : attachment.file_name;
      const std::string type = attachment.content_type.empty() ? std::string(content_type_for(name))
                                                               : attachment.content_type;
      const auto slash = type.find('/');
      if (slash == std::string::npos || has_line_break_or_nul(type) ||
          has_line_break_or_nul(name)) {
        return core::fail(ErrorClass::Config, "mime.bad_attachment",
                          fmt::format("attachment {}: bad name or type", attachment.path.string()),
                          "use a type like application/pdf");
      }
      GPtr<GMimePart> part(
          g_mime_part_new_with_type(type.substr(0, slash).c_str(), type.substr(slash + 1).c_str()));
      GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(data->data(), data->size()));
      GPtr<GMimeDataWrapper> wrapper(
          g_mime_data_wrapper_new_with_stream(stream.get(), GMIME_CONTENT_ENCODING_DEFAULT));
      g_mime_part_set_content(part.get(), wrapper.get());
      g_mime_object_set_disposition(GMIME_OBJECT(part.get()), "attachment");
      g_mime_part_set_filename(part.get(), name.c_str());
      g_mime_part_set_content_encoding(part.get(), GMIME_CONTENT_ENCODING_BASE64);
      g_mime_multipart_add(mixed.get(), GMIME_OBJECT(part.get()));
    }
    body.reset(GMIME_OBJECT(mixed.release()));
  }
  g_mime_message_set_mime_part(message.get(), body.get());

  GMimeFormatOptions* format = g_mime_format_options_new();
  g_mime_format_options_set_newline_format(format, GMIME_NEWLINE_FORMAT_DOS);
  char* text = g_mime_object_to_string(GMIME_OBJECT(message.get()), format);
  g_mime_format_options_free(format);
  result.data = text != nullptr ? text : "";
  g_free(text);

  result.envelope_from = draft.from.address;
  for (const auto* boxes : {&draft.to, &draft.cc, &draft.bcc}) {
    for (const Mailbox& box : *boxes) add_recipient(result.recipients, box.address);
  }
  result.needs_smtputf8 = !is_ascii(result.envelope_from) ||
                          std::any_of(result.recipients.begin(), result.recipients.end(),
                                      [](const auto& r) { return !is_ascii(r); });
  result.needs_8bitmime = !is_ascii(result.data);
  return result;
}

}  // namespace mailoauth::mime
