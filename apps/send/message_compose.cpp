// mailoauth-send-compose's side of compose.hpp: the message built from the
// options with GMime (mime::build_message): From (the option, else the
// account's mailbox, else --user), To/Cc/Bcc/Reply-To with their display
// names, subject, text and HTML bodies (read with the size cap), attachments.
#include <fmt/format.h>

#include "compose.hpp"
#include "message_input.hpp"

namespace mailoauth::send {

namespace {

using core::Result;

// "a@x, b@y" given once or several times: each mailbox with its display name.
Result<std::vector<mime::Mailbox>> mailboxes(const std::vector<std::string>& values,
                                             std::string_view option) {
  std::vector<mime::Mailbox> result;
  for (const std::string& value : values) {
    auto parsed = mime::parse_address_list(value);
    if (!parsed) {
      return core::fail(std::move(parsed.error()).context(fmt::format("--{}", option)));
    }
    result.insert(result.end(), parsed->begin(), parsed->end());
  }
  return result;
}

// The bodies: --body, --body-file, --html-file, each at most the maximum.
Result<void> read_bodies(const SendOptions& options, mime::MessageDraft& draft) {
  auto max = max_message_size();
  if (!max) return core::fail(max.error());
  if (options.body) draft.text_body = *options.body;
  if (!options.body_file.empty()) {
    auto body = read_bounded(options.body_file, *max, "body");
    if (!body) return core::fail(body.error());
    draft.text_body = std::move(*body);
  }
  if (!options.html_file.empty()) {
    auto html = read_bounded(options.html_file, *max, "HTML body");
    if (!html) return core::fail(html.error());
    draft.html_body = std::move(*html);
  }
  return {};
}

}  // namespace

bool can_compose() {
  return true;
}

int run_composer(char**) {
  return core::kExitSoftware;
}

Result<mime::Message> composed_message(const SendOptions& options, const oauth2::Account* account) {
  mime::MessageDraft draft;
  std::string from = options.from;
  if (from.empty() && account != nullptr) from = account->user();
  if (from.empty() && account == nullptr) from = options.server.user;
  auto from_box = mime::parse_address_list(from);
  if (!from_box) {
    return core::fail(core::ErrorClass::Config, "send.no_from",
                      "no sender: give --from, or set mailbox in the account");
  }
  draft.from = from_box->front();
  for (const auto& [values, option, target] :
       {std::tuple{&options.to, "to", &draft.to}, std::tuple{&options.cc, "cc", &draft.cc},
        std::tuple{&options.bcc, "bcc", &draft.bcc},
        std::tuple{&options.reply_to, "reply-to", &draft.reply_to}}) {
    auto boxes = mailboxes(*values, option);
    if (!boxes) return core::fail(boxes.error());
    *target = std::move(*boxes);
  }
  draft.subject = options.subject;
  if (auto bodies = read_bodies(options, draft); !bodies) return core::fail(bodies.error());
  for (const std::string& path : options.attachments) draft.attachments.push_back({path, {}, {}});
  auto message = mime::build_message(draft);
  if (!message && message.error().code() == "mime.no_recipient") {
    message.error().with_remedy("give at least one --to, --cc or --bcc");
  }
  if (message && !options.envelope_from.empty()) message->envelope_from = options.envelope_from;
  return message;
}

}  // namespace mailoauth::send
