// The server resolver; the rule is in server_settings.hpp and in
// docs/sending.md and docs/monitoring.md, which quote it for users.
#include "mailoauth/delivery/server_settings.hpp"

#include <fmt/format.h>

#include "mailoauth/oauth2/provider.hpp"

namespace mailoauth::delivery {

namespace {

using core::ErrorClass;

// The account's keys and the provider's values for one protocol.
struct ProtocolKeys {
  std::string account_host;
  int account_port = 0;
  std::string account_tls;
  std::string provider_host;
  int provider_port = 0;
  TlsMode provider_tls = TlsMode::Implicit;
};

ProtocolKeys keys_for(MailProtocol protocol, const oauth2::Account* account) {
  ProtocolKeys keys;
  if (account == nullptr) return keys;
  const oauth2::MailServers preset = oauth2::mail_servers(account->provider);
  if (protocol == MailProtocol::Smtp) {
    keys = {account->smtp_server, account->smtp_port,
            account->smtp_tls,    preset.smtp_host,
            preset.smtp_port,     preset.smtp_implicit_tls ? TlsMode::Implicit : TlsMode::StartTls};
  } else {
    keys = {account->imap_server, account->imap_port, account->imap_tls,
            preset.imap_host,     preset.imap_port,   TlsMode::Implicit};
  }
  return keys;
}

}  // namespace

std::string_view to_string(MailProtocol protocol) {
  return protocol == MailProtocol::Smtp ? "SMTP" : "IMAP";
}

std::string_view to_string(SettingOrigin origin) {
  switch (origin) {
    case SettingOrigin::Given:
      return "given";
    case SettingOrigin::Account:
      return "the account's";
    case SettingOrigin::Provider:
      return "the provider's";
  }
  return "?";
}

std::uint16_t default_port(MailProtocol protocol, TlsMode tls) {
  if (protocol == MailProtocol::Smtp) return tls == TlsMode::Implicit ? 465 : 587;
  return tls == TlsMode::Implicit ? 993 : 143;
}

TlsMode default_tls_mode(MailProtocol protocol, int port) {
  if (port == 465 || port == 993) return TlsMode::Implicit;
  if (port == 25 || port == 587 || port == 143) return TlsMode::StartTls;
  return protocol == MailProtocol::Smtp ? TlsMode::StartTls : TlsMode::Implicit;
}

core::Result<ServerSettings> server_settings(MailProtocol protocol, const oauth2::Account* account,
                                             const ServerOverrides& overrides) {
  const ProtocolKeys keys = keys_for(protocol, account);
  const std::string_view prefix = protocol == MailProtocol::Smtp ? "smtp" : "imap";
  ServerSettings settings;
  if (!overrides.host.empty()) {
    settings.host = overrides.host;
    settings.host_origin = SettingOrigin::Given;
  } else if (!keys.account_host.empty()) {
    settings.host = keys.account_host;
    settings.host_origin = SettingOrigin::Account;
  } else if (!keys.provider_host.empty()) {
    settings.host = keys.provider_host;
    settings.host_origin = SettingOrigin::Provider;
  } else {
    return core::fail(
        ErrorClass::Config, "delivery.no_server",
        account == nullptr
            ? fmt::format("no {} server was given", to_string(protocol))
            : fmt::format("account {} has no {} server, and its provider ({}) has none built in",
                          account->name, to_string(protocol), oauth2::to_string(account->provider)),
        fmt::format("set {0}_server (and {0}_port, {0}_tls) in the account, or give the server",
                    prefix));
  }
  const bool providers_host = !keys.provider_host.empty() && settings.host == keys.provider_host;

  std::optional<TlsMode> tls = overrides.tls;
  if (!tls && !keys.account_tls.empty()) {
    auto parsed = parse_tls_mode(keys.account_tls);
    if (!parsed) {
      return core::fail(std::move(parsed.error()).context(fmt::format("{}_tls", prefix)));
    }
    tls = *parsed;
  }
  // Without a port or a TLS mode anywhere: SMTP 587 STARTTLS, IMAP 993 implicit.
  const TlsMode usual = protocol == MailProtocol::Smtp ? TlsMode::StartTls : TlsMode::Implicit;
  const int port = overrides.port != 0      ? overrides.port
                   : keys.account_port != 0 ? keys.account_port
                   : providers_host && keys.provider_port != 0
                       ? keys.provider_port
                       : default_port(protocol, tls.value_or(usual));
  if (port < 1 || port > 65535) {
    return core::fail(ErrorClass::Config, "delivery.bad_port",
                      fmt::format("{} is not a TCP port", port), "use a port from 1 to 65535");
  }
  settings.port = static_cast<std::uint16_t>(port);
  settings.tls = tls                                            ? *tls
                 : providers_host && port == keys.provider_port ? keys.provider_tls
                                                                : default_tls_mode(protocol, port);
  if (protocol == MailProtocol::Imap && settings.tls == TlsMode::None) {
    return core::fail(ErrorClass::Config, "delivery.imap_without_tls",
                      fmt::format("IMAP without TLS is not supported ({}:{})", settings.host, port),
                      "use implicit TLS (port 993) or STARTTLS (port 143)");
  }
  settings.ca_file = !overrides.ca_file.empty() ? overrides.ca_file
                     : account != nullptr       ? account->ca_file
                                                : std::string{};
  return settings;
}

smtp::Security smtp_security(TlsMode tls) {
  switch (tls) {
    case TlsMode::None:
      return smtp::Security::None;
    case TlsMode::StartTls:
      return smtp::Security::StartTls;
    case TlsMode::Implicit:
      return smtp::Security::Implicit;
  }
  return smtp::Security::StartTls;
}

}  // namespace mailoauth::delivery
