// Account, transport and the Graph fallback; see deliver.hpp.
#include "deliver.hpp"

#include <fmt/format.h>

#include "mailoauth/delivery/account_choice.hpp"
#include "mailoauth/delivery/graph_fallback.hpp"
#include "mailoauth/delivery/transport.hpp"

#include "transports.hpp"

namespace mailoauth::send {

core::Result<const oauth2::Account*> choose_account(app::AppContext& context,
                                                    const std::string& name,
                                                    const std::string& sender) {
  auto accounts = context.accounts();
  if (!accounts) return core::fail(accounts.error());
  auto chosen = delivery::choose_account(**accounts, name, sender);
  if (!chosen && chosen.error().code() == delivery::kNoAccount && !(*accounts)->accounts.empty()) {
    chosen.error().with_remedy(
        "give --account NAME (sendmail mode: MAILOAUTH_ACCOUNT=NAME), or set default_account = "
        "\"NAME\" at the top of the configuration");
  }
  return chosen;
}

core::Result<int> send_message(app::AppContext& context, const ServerOptions& server,
                               const oauth2::Account* account, const mime::Message& message,
                               bool verbose) {
  std::optional<delivery::Transport> requested;
  if (!server.transport.empty()) {
    auto parsed = delivery::parse_transport(server.transport);
    if (!parsed) return core::fail(std::move(parsed.error()).context("--transport"));
    requested = *parsed;
  }
  auto transport = delivery::choose_transport(requested, account);
  if (!transport) return core::fail(transport.error());

  core::Result<Delivery> delivered =
      core::fail(core::ErrorClass::Bug, "send.nothing", "nothing was tried");
  if (*transport == delivery::Transport::Graph) {
    delivered = via_graph(context, server, account, message);
  } else {
    delivered = via_smtp(context, server, account, message, verbose);
    if (!delivered && *transport == delivery::Transport::Auto &&
        delivery::graph_may_help(delivered.error())) {
      fmt::print(stderr, "mailoauth: SMTP refused: {}\nmailoauth: trying Microsoft Graph instead\n",
                 delivered.error().message());
      delivered = via_graph(context, server, account, message);
    }
  }
  if (!delivered) return core::fail(delivered.error());
  fmt::print("sent <{}> to {} recipient{} {}\n", message.message_id, message.recipients.size(),
             message.recipients.size() == 1 ? "" : "s", delivered->summary);
  for (const std::string& refused : delivered->refused) {
    fmt::print(stderr, "mailoauth: refused recipient {}\n", refused);
  }
  return delivered->refused.empty() ? core::kExitOk : core::kExitUnavailable;
}

}  // namespace mailoauth::send
