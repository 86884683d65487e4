// Sending by SMTP: the server from delivery::server_settings, the mechanisms
// from delivery::choose_mechanisms, the secret from the token engine (renewed
// once when the server refuses it) or from a password file, then
// smtp::submit; the outcome in one line with each refused recipient.
#include <fmt/format.h>

#include "mailoauth/delivery/mechanism_choice.hpp"
#include "mailoauth/delivery/server_settings.hpp"
#include "mailoauth/smtp/submit.hpp"

#include "transports.hpp"

namespace mailoauth::send {

namespace {

using core::ErrorClass;
using core::Result;

Result<smtp::ClientSettings> smtp_settings(const ServerOptions& server,
                                           const oauth2::Account* account, bool verbose) {
  delivery::ServerOverrides overrides{server.server, server.port, {}, server.ca_file};
  if (!server.tls.empty()) {
    auto tls = delivery::parse_tls_mode(server.tls);
    if (!tls) return core::fail(std::move(tls.error()).context("--tls"));
    overrides.tls = *tls;
  }
  auto resolved = delivery::server_settings(delivery::MailProtocol::Smtp, account, overrides);
  if (!resolved) {
    core::Error error = std::move(resolved.error());
    if (error.code() == "delivery.no_server") {
      error.with_remedy(error.remedy() + " with --server HOST --port PORT");
    }
    return core::fail(std::move(error));
  }
  smtp::ClientSettings settings;
  settings.host = resolved->host;
  settings.port = resolved->port;
  settings.security = delivery::smtp_security(resolved->tls);
  settings.allow_plaintext_auth = server.allow_plaintext_auth;
  settings.tls.ca_file = resolved->ca_file;
  settings.tls.verify = !server.insecure;
  settings.helo_name = server.helo;
  if (server.timeout_seconds > 0) {
    const std::chrono::milliseconds timeout(server.timeout_seconds * 1000);
    settings.timeouts.connect = settings.timeouts.greeting = settings.timeouts.command = timeout;
  }
  if (verbose) {
    settings.trace = [](smtp::TraceDirection direction, std::string_view line) {
      fmt::print(stderr, "smtp {} {}\n",
                 direction == smtp::TraceDirection::Sent ? "C:" : "S:", line);
    };
  }
  return settings;
}

// A password read from its file when AUTH needs it (never kept longer).
std::function<Result<core::Secret>(bool)> password_from_file(std::string path) {
  return [path = std::move(path)](bool) -> Result<core::Secret> {
    oauth2::SecretSource source;
    source.kind = oauth2::SecretSource::Kind::File;
    source.where = path;
    return oauth2::read_secret_source(source);
  };
}

// Who authenticates and with what secret.
Result<smtp::SubmitAuth> submit_auth(app::AppContext& context, const ServerOptions& server,
                                     const oauth2::Account* account) {
  auto mechanisms = delivery::choose_mechanisms(server.auth_mechanism, account);
  if (!mechanisms) return core::fail(std::move(mechanisms.error()).context("--auth-mechanism"));
  smtp::SubmitAuth auth;
  auth.mechanisms = *mechanisms;
  if (account == nullptr) {
    auth.user = server.user;
    auth.secret = password_from_file(server.password_file);
  } else {
    auth.user = !server.user.empty() ? server.user : account->user();
    if (delivery::needs_password(*mechanisms) && server.password_file.empty()) {
      return core::fail(ErrorClass::Config, "send.no_password",
                        "PLAIN and LOGIN need a password, and a mailoauth account holds tokens",
                        "give --user and --password-file for a server that takes passwords, or "
                        "use --auth-mechanism xoauth2");
    }
    if (!server.password_file.empty()) {
      auth.secret = password_from_file(server.password_file);
    } else {
      auto engine = context.engine(*account);
      if (!engine) return core::fail(engine.error());
      oauth2::TokenEngine* token_engine = *engine;
      auth.secret = [token_engine, account](bool renew) -> Result<core::Secret> {
        // A margin longer than any token lives forces a renewal.
        auto tokens = renew ? token_engine->access_token(*account, std::chrono::hours(24 * 3650))
                            : token_engine->access_token(*account);
        if (!tokens) return core::fail(tokens.error());
        return std::move(tokens->access_token);
      };
    }
  }
  if (auth.user.empty()) {
    return core::fail(ErrorClass::Config, "send.no_user", "no SASL user (mailbox) is known",
                      "set mailbox (or login_hint) in the account, or give --user");
  }
  return auth;
}

}  // namespace

Result<Delivery> via_smtp(app::AppContext& context, const ServerOptions& server,
                          const oauth2::Account* account, const mime::Message& message,
                          bool verbose) {
  auto settings = smtp_settings(server, account, verbose);
  if (!settings) return core::fail(settings.error());
  if (server.insecure) {
    context.logger().warn(
        "TLS certificate verification is OFF (--insecure): anyone on the path "
        "can read the token and the message");
  }
  auto auth = submit_auth(context, server, account);
  if (!auth) return core::fail(auth.error());

  std::vector<smtp::Outgoing> outgoing(1);
  outgoing[0].envelope = {message.envelope_from, message.recipients, message.needs_8bitmime,
                          message.needs_smtputf8};
  outgoing[0].message = message.data;
  auto submitted = smtp::submit(*settings, std::move(*auth), std::move(outgoing));
  if (!submitted) return core::fail(submitted.error());
  auto& report = submitted->reports.front();
  if (!report) return core::fail(report.error());
  if (auto outcome = report->outcome(); !outcome) return core::fail(outcome.error());

  Delivery delivery;
  delivery.transport = "smtp";
  std::string how = submitted->encrypted ? "TLS" : "no TLS";
  if (submitted->mechanism) how += fmt::format(", {}", sasl::wire_name(*submitted->mechanism));
  if (submitted->token_renewed) how += ", token renewed";
  delivery.summary = fmt::format("via smtp {} ({}): {} {}", submitted->peer, how,
                                 report->data_reply->code, report->data_reply->lines.front());
  for (const auto& recipient : report->recipients) {
    if (!recipient.accepted()) {
      delivery.refused.push_back(fmt::format("{}: {} {}", recipient.address, recipient.reply.code,
                                             recipient.reply.lines.front()));
    }
  }
  return delivery;
}

}  // namespace mailoauth::send
