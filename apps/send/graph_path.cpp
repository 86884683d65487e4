// Sending with Microsoft Graph sendMail: the token of the account (or of its
// `graph_account`, since Microsoft gives one token per resource), the base
// URL given, else the account's, else Graph's; a 401 renews the token once.
// A message over ~3 MB goes through a draft and upload sessions
// (graph/large_message.hpp), up to the account's graph_max_message_size.
#include <fmt/format.h>

#include "mailoauth/graph/send_mail.hpp"

#include "transports.hpp"

namespace mailoauth::send {

core::Result<Delivery> via_graph(app::AppContext& context, const ServerOptions& server,
                                 const oauth2::Account* account, const mime::Message& message) {
  if (account == nullptr) {
    return core::fail(core::ErrorClass::Config, "send.graph_needs_account",
                      "Microsoft Graph takes a token, so it needs a mailoauth account",
                      "give --account NAME (an account with preset = \"graph\")");
  }
  const oauth2::Account* token_account = account;
  if (!account->graph_account.empty()) {
    auto other = context.account(account->graph_account);
    if (!other) return core::fail(other.error());
    token_account = *other;
  }
  auto engine = context.engine(*token_account);
  if (!engine) return core::fail(engine.error());
  oauth2::TokenEngine* token_engine = *engine;
  auto tokens = token_engine->access_token(*token_account);
  if (!tokens) return core::fail(tokens.error());
  graph::GraphSettings settings;
  settings.logger = &context.logger();  // each answer with its request-id and client-request-id
  settings.max_message_size = account->graph_max_message_size;  // the draft + upload path's limit
  if (!server.graph_url.empty()) {
    settings.base_url = server.graph_url;
  } else if (!account->graph_url.empty()) {
    settings.base_url = account->graph_url;
  }
  oauth2::RealSleeper sleeper;
  const std::string mailbox = account->user();
  auto sent = graph::send_mime(
      context.http(*token_account), settings, mailbox, std::move(tokens->access_token), message,
      sleeper, [token_engine, token_account]() -> core::Result<core::Secret> {
        auto renewed = token_engine->access_token(*token_account, std::chrono::hours(24 * 3650));
        if (!renewed) return core::fail(renewed.error());
        return std::move(renewed->access_token);
      });
  if (!sent) return core::fail(sent.error());
  Delivery delivery;
  delivery.transport = "graph";
  const std::string large = sent->large
                                ? fmt::format(
                                      ", as a draft with {} attachment(s) added and {} uploaded "
                                      "({} chunks, {} bytes)",
                                      sent->attachments_added, sent->upload_sessions,
                                      sent->chunks_uploaded, sent->bytes_uploaded)
                                : "";
  delivery.summary = fmt::format("via graph {} (mailbox {}): 202 Accepted{}{}", settings.base_url,
                                 mailbox, large, sent->token_refreshed ? ", token renewed" : "");
  return delivery;
}

}  // namespace mailoauth::send
