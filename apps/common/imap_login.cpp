// imap_login.hpp: the server by delivery::server_settings; the account's
// mechanism and token, renewed once when refused.
#include "imap_login.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/oauth2/renew_once.hpp"
#include "mailoauth/sasl/mechanism.hpp"

namespace mailoauth::app {

imap::ClientSettings imap_client_settings(const delivery::ServerSettings& resolved) {
  imap::ClientSettings settings;
  settings.host = resolved.host;
  settings.port = resolved.port;
  settings.tls_mode = resolved.tls == delivery::TlsMode::StartTls ? imap::TlsMode::StartTls
                                                                  : imap::TlsMode::Implicit;
  settings.tls.ca_file = resolved.ca_file;
  return settings;
}

core::Result<imap::ClientSettings> imap_server_settings(const oauth2::Account* account,
                                                        delivery::ServerOverrides overrides,
                                                        std::string_view tls_text,
                                                        const ImapServerFlags& flags) {
  if (!tls_text.empty()) {
    auto tls = delivery::parse_tls_mode(tls_text);
    if (!tls) return core::fail(std::move(tls.error()).context(std::string(flags.tls)));
    overrides.tls = *tls;
  }
  auto resolved = delivery::server_settings(delivery::MailProtocol::Imap, account, overrides);
  if (!resolved) {
    core::Error error = std::move(resolved.error());
    if (error.code() == "delivery.no_server") {
      error.with_remedy(fmt::format("{} with {}", error.remedy(), flags.server));
    }
    return core::fail(std::move(error));
  }
  return imap_client_settings(*resolved);
}

core::Result<void> imap_authenticate(AppContext& context, const oauth2::Account& account,
                                     imap::SyncClient& client,
                                     const imap::ClientSettings& settings) {
  auto engine = context.engine(account);
  if (!engine) return core::fail(engine.error());
  oauth2::TokenEngine* token_engine = *engine;
  sasl::Mechanism mechanism = sasl::Mechanism::XOAuth2;
  std::vector<std::string> wanted = account.auth_mechanisms;
  if (wanted.empty()) wanted = {"XOAUTH2", "OAUTHBEARER"};
  for (const std::string& name : wanted) {
    auto parsed = sasl::parse_mechanism(name);
    if (parsed && client.capabilities().offers_mechanism(name)) {
      mechanism = *parsed;
      break;
    }
  }
  return oauth2::renew_once<void>(
      [&](bool renew) -> core::Result<core::Secret> {
        auto tokens = renew ? token_engine->access_token(account, oauth2::kRenewNowMargin)
                            : token_engine->access_token(account);
        if (!tokens) return core::fail(tokens.error());
        return std::move(tokens->access_token);
      },
      [&](core::Secret token) {
        sasl::ClientCredentials credentials;
        credentials.user = account.user();
        credentials.secret = std::move(token);
        credentials.host = settings.host;
        credentials.port = settings.port;
        return client.authenticate(mechanism, std::move(credentials));
      },
      [&](const core::Error& error) {
        return client.connected() && imap::refused_credentials(error);
      });
}

}  // namespace mailoauth::app
