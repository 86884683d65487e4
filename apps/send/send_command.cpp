// `mailoauth send`: see send_command.hpp. The order of decisions: the
// account (only what the message needs from it: the From), the message (a
// bad --to or an unreadable file fails before any network), then the
// transport and its server (deliver.cpp); an unsent message is kept
// (failed_message.cpp).
#include "send_command.hpp"

#include "mailoauth/mime/address_list.hpp"

#include "../mailoauth/app_context.hpp"
#include "deliver.hpp"
#include "failed_message.hpp"
#include "message_input.hpp"

namespace mailoauth::send {

int send_command(const app::GlobalOptions& global, const SendOptions& options) {
  app::AppContext context(global);
  const bool password_mode = options.account.empty() && !options.server.password_file.empty();

  const oauth2::Account* account = nullptr;
  if (!password_mode) {
    std::string sender = options.from;
    if (auto parsed = mime::address_list_addresses(options.from); parsed && !parsed->empty()) {
      sender = parsed->front();
    }
    auto chosen = choose_account(context, options.account, sender);
    if (!chosen) return context.report(chosen.error());
    account = *chosen;
  }
  auto message = send_message_input(options, account);
  if (!message) return context.report(message.error());
  if (options.dry_run) {
    print_dry_run(*message);
    return core::kExitOk;
  }
  auto sent = send_message(context, options.server, account, *message, global.verbose);
  if (sent) return *sent;
  const int code = context.report(sent.error());
  return report_kept(keep_failed(global, message->envelope_from, message->recipients,
                                 message->message_id, message->data),
                     code);
}

}  // namespace mailoauth::send
