// mailoauth-doctor's walk: the state the steps share and the steps
// themselves, one file per concern (configuration_step, network_probe,
// token_step, smtp_walk, imap_walk, graph_walk). Each step fills its entry
// of the Report (doctor/doctor_report.hpp) and says whether the walk goes on;
// the first failed step ends it. The network steps reuse the clients the
// other tools use (smtp::Session, imap::SyncClient, oauth2::HttpClient),
// observing them through their wire-trace hook (what the server said, for
// the facts and to tell "silent" from "refused") rather than a second client.
// No Asio in this header: only network_probe.cpp, smtp_walk.cpp and
// graph_walk.cpp run coroutines.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/doctor/connection_advice.hpp"
#include "mailoauth/doctor/doctor_report.hpp"
#include "mailoauth/doctor/token_requirements.hpp"
#include "mailoauth/oauth2/account.hpp"
#include "mailoauth/oauth2/token_engine.hpp"
#include "mailoauth/sasl/client_mechanism.hpp"

#include "../mailoauth/app_context.hpp"

namespace mailoauth::doctor_app {

struct DoctorOptions {
  std::string account;
  std::string protocol = "smtp";  // smtp, imap, graph
  std::string server;
  int port = 0;
  std::string tls;  // implicit, starttls; empty: the account's / by port
  std::string ca_file;
  std::string send_test;  // an address: send one message there
  std::string recipient;  // the RCPT of the SMTP probe; empty: the mailbox itself
  bool json = false;
  int timeout_seconds = 10;  // each step's deadline
  bool verbose = false;
};

struct Walk {
  Walk(app::AppContext& app_context, DoctorOptions given)
      : context(app_context), options(std::move(given)) {}

  app::AppContext& context;
  DoctorOptions options;
  doctor::Report report;
  const oauth2::Account* account = nullptr;
  const oauth2::Account* token_account = nullptr;  // Graph: the graph_account, else account
  doctor::Endpoint endpoint;                       // where the mail server is
  std::string ca_file;                             // the one the connection trusts

  std::chrono::milliseconds timeout() const {
    return std::chrono::milliseconds(std::max(options.timeout_seconds, 1) * 1000);
  }
  doctor::Step& step(doctor::StepName name);
};

// What crossed the wire, as the clients' trace hooks see it (redacted):
// what the server said (the facts, and "silent" told from "refusing"),
// whether STARTTLS was sent; -v prints the dialogue to stderr.
struct Wire {
  std::vector<std::string> received;  // at most 200 lines
  bool starttls_sent = false;
  bool verbose = false;

  void record(std::string_view protocol, bool sent, std::string_view line);
  std::string last_received() const;
};

// 1. The account, its files and secrets; false when the walk stops.
bool check_configuration(Walk& walk);

// 2 and 3. DNS (and, for Microsoft, the tenant's domain, a warning only) and
// a TCP connection to walk.endpoint, closed again.
bool check_network(Walk& walk);

// 6. An access token and its claims against what `api` needs; the token, or
// nullopt when the walk stops.
std::optional<core::Secret> obtain_token(Walk& walk, doctor::MailApi api);
// A new token after the server refused the one before (renewed once, as
// every mailoauth client does); the token step is not changed.
core::Result<core::Secret> renew_token(Walk& walk);

// The SMTP or IMAP server by delivery::server_settings (the flags, the
// account's keys, the provider's), noted in the walk, then steps 2 and 3;
// nullopt when the walk stops.
std::optional<delivery::ServerSettings> reach_mail_server(Walk& walk,
                                                          delivery::MailProtocol protocol);

// The client's connect failed after TCP had passed: the TLS step's fault
// (certificate, handshake, STARTTLS missing, silence before TLS) or the
// greeting's, in the doctor's words.
void classify_connect_failure(Walk& walk, const core::Error& error, const Wire& wire,
                              bool implicit_tls);

// The mailbox's SASL credentials with `token`, for walk.endpoint.
sasl::ClientCredentials credentials_for(const Walk& walk, core::Secret token);

// The authentication step when the stored token was refused (`refusal`)
// and a renewed one accepted: a warning that says so.
void note_renewed_token(Walk& walk, const core::Error& refusal);

// 4, 5, 7, 8 (and the test message) for each protocol.
void walk_smtp(Walk& walk);
void walk_imap(Walk& walk);
void walk_graph(Walk& walk);

// "Sat, 05 Dec 2026 06:10:00 +0000 — mailoauth doctor test" message for --send-test.
std::string test_message(const std::string& from, const std::string& to);

// The TLS step's facts and a warning when the certificate expires within 30 days.
void describe_tls(doctor::Step& step, const std::string& protocol, const std::string& cipher,
                  const std::string& subject, const std::string& issuer,
                  const std::optional<core::Clock::WallTime>& not_after, const std::string& host);

}  // namespace mailoauth::doctor_app
