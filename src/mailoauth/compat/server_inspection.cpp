// lsimap's look at a server and its JSON (see the header).
#include "mailoauth/compat/server_inspection.hpp"

#include <fmt/format.h>

#include "mailoauth/compat/go_text.hpp"
#include "mailoauth/compat/go_time.hpp"
#include "mailoauth/compat/mailbox_check_log.hpp"

namespace mailoauth::compat {
namespace {

std::string json_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += go_json_string(items[i]);
  }
  return out + "]";
}

}  // namespace

core::Result<ServerInspection> inspect_server(const imap::ClientSettings& settings,
                                              core::Logger* logger) {
  const StepLog log(logger);
  log.connecting(settings);
  imap::SyncClient client(log.traced(settings));
  if (auto connected = client.connect(); !connected) return core::fail(connected.error());
  ServerInspection inspection = inspection_of(client, settings);
  log.debug("Connection established to server",
            {{"greeting", inspection.greeting},
             {"tls", inspection.tls ? inspection.tls->protocol : std::string("none")},
             {"certificate_subject", inspection.tls ? inspection.tls->subject : std::string()}});
  log.debug("Logging out");
  (void)client.logout();  // what we came for is known
  return inspection;
}

ServerInspection inspection_of(const imap::SyncClient& client,
                               const imap::ClientSettings& settings) {
  ServerInspection inspection;
  inspection.server = settings.host;
  inspection.port = settings.port;
  inspection.starttls = settings.tls_mode == imap::TlsMode::StartTls;
  inspection.greeting = client.greeting();
  inspection.capabilities = client.capabilities();
  if (inspection.starttls) inspection.before_starttls = client.capabilities_before_tls();
  inspection.tls = client.tls();
  return inspection;
}

std::string inspection_json(const ServerInspection& inspection) {
  std::string out = "{";
  out += fmt::format("\"server\":{},\"port\":{},\"starttls\":{},\"greeting\":{}",
                     go_json_string(inspection.server), inspection.port,
                     inspection.starttls ? "true" : "false", go_json_string(inspection.greeting));
  out += ",\"capabilities\":" + json_list(inspection.capabilities.sorted());
  out += ",\"capabilities_before_starttls\":" +
         (inspection.before_starttls ? json_list(inspection.before_starttls->sorted()) : "null");
  out += ",\"auth_mechanisms\":" + json_list(inspection.capabilities.auth_mechanisms());
  out += fmt::format(",\"login_disabled\":{}",
                     inspection.capabilities.login_disabled() ? "true" : "false");
  if (inspection.tls) {
    const auto& tls = *inspection.tls;
    out += fmt::format(",\"tls\":{{\"version\":{},\"cipher\":{},\"subject\":{},\"issuer\":{},",
                       go_json_string(tls.protocol), go_json_string(tls.cipher),
                       go_json_string(tls.subject), go_json_string(tls.issuer));
    out += "\"not_after\":" +
           (tls.not_after ? go_json_string(format_go_rfc3339(zoned(*tls.not_after, {}))) : "null") +
           "}";
  } else {
    out += ",\"tls\":null";
  }
  return out + "}\n";
}

}  // namespace mailoauth::compat
