// `mailoauth send` and sendmail mode: see send_command.hpp. The order of
// decisions: the message first (a bad --to or an unreadable file fails before
// any network), then the account, then the transport and its servers.
#include "send_command.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/ascii.hpp"
#include "mailoauth/core/file_write.hpp"
#include "mailoauth/core/log.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/mime/message.hpp"
#include "mailoauth/oauth2/token_cache.hpp"
#include "mailoauth/smtp/reply_catalogue.hpp"
#include "mailoauth/smtp/submit.hpp"

#include "../mailoauth/app_context.hpp"

namespace mailoauth::send {

namespace {

using core::ErrorClass;
using core::Result;
namespace fs = std::filesystem;

constexpr std::size_t kMaxInput = std::size_t{150} << 20;

Result<std::string> read_input(const std::string& path, std::string_view what) {
  std::string data;
  if (path == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return core::fail(ErrorClass::Config, "send.unreadable",
                        fmt::format("cannot read the {} {}: {}", what, path, std::strerror(errno)),
                        "check the path and its permissions");
    }
    data.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  if (data.size() > kMaxInput) {
    return core::fail(ErrorClass::Config, "send.too_large",
                      fmt::format("the {} is larger than 150 MB", what));
  }
  return data;
}

// "a@x, b@y" given once or several times: each address as given.
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

// The account for a message: by name, else the one whose mailbox is the
// sender, else the default (or the only) one.
Result<const oauth2::Account*> choose_account(app::AppContext& context, const std::string& name,
                                              const std::string& sender) {
  if (!name.empty()) return context.account(name);
  auto accounts = context.accounts();
  if (!accounts) return core::fail(accounts.error());
  const oauth2::AccountsConfig& config = **accounts;
  if (!sender.empty()) {
    for (const oauth2::Account& account : config.accounts) {
      if (!account.user().empty() && core::iequals(account.user(), sender)) return &account;
    }
  }
  if (!config.default_account.empty()) return config.find(config.default_account);
  if (config.accounts.size() == 1) return &config.accounts.front();
  return core::fail(ErrorClass::Config, "send.no_account",
                    config.accounts.empty()
                        ? fmt::format("no account is configured in {}", config.path.string())
                        : fmt::format("no account given, none has the mailbox \"{}\", and {} sets "
                                      "no default_account",
                                      sender, config.path.string()),
                    config.accounts.empty()
                        ? "add one with `mailoauth account add` (docs/tokens.md)"
                        : "give --account NAME (sendmail mode: MAILOAUTH_ACCOUNT=NAME), or set "
                          "default_account = \"NAME\" at the top of the configuration");
}

Result<std::vector<sasl::Mechanism>> mechanisms_for(const ServerOptions& server,
                                                    const oauth2::Account* account) {
  std::vector<std::string> names;
  if (!server.auth_mechanism.empty()) {
    names = {server.auth_mechanism};
  } else if (account != nullptr && !account->auth_mechanisms.empty()) {
    names = account->auth_mechanisms;
  } else if (account == nullptr) {
    names = {"PLAIN", "LOGIN"};
  } else {
    names = {"XOAUTH2", "OAUTHBEARER"};
  }
  std::vector<sasl::Mechanism> mechanisms;
  for (const std::string& name : names) {
    auto mechanism = sasl::parse_mechanism(name);
    if (!mechanism) {
      return core::fail(ErrorClass::Config, "send.bad_mechanism",
                        fmt::format("unknown SASL mechanism \"{}\"", name),
                        "use xoauth2, oauthbearer, plain or login");
    }
    mechanisms.push_back(*mechanism);
  }
  return mechanisms;
}

Result<smtp::ClientSettings> smtp_settings(const ServerOptions& server,
                                           const oauth2::Account* account, bool verbose) {
  smtp::ClientSettings settings;
  const oauth2::MailServers preset =
      account != nullptr ? oauth2::mail_servers(account->provider) : oauth2::MailServers{};
  settings.host = !server.server.empty()                                ? server.server
                  : account != nullptr && !account->smtp_server.empty() ? account->smtp_server
                                                                        : preset.smtp_host;
  if (settings.host.empty()) {
    return core::fail(ErrorClass::Config, "send.no_server",
                      "no SMTP server: the account's provider has none built in",
                      "give --server HOST --port PORT, or smtp_server and smtp_port in the "
                      "account");
  }
  int port = server.port != 0                                ? server.port
             : account != nullptr && account->smtp_port != 0 ? account->smtp_port
             : preset.smtp_port != 0                         ? preset.smtp_port
                                                             : 587;
  settings.port = static_cast<std::uint16_t>(port);
  std::string tls = !server.tls.empty()                                    ? server.tls
                    : account != nullptr && !account->smtp_tls.empty()     ? account->smtp_tls
                    : preset.smtp_port == port && preset.smtp_implicit_tls ? "implicit"
                    : port == 465                                          ? "implicit"
                                                                           : "starttls";
  auto security = smtp::parse_security(tls);
  if (!security) return core::fail(security.error());
  settings.security = *security;
  settings.allow_plaintext_auth = server.allow_plaintext_auth;
  settings.tls.ca_file =
      !server.ca_file.empty() ? server.ca_file : (account != nullptr ? account->ca_file : "");
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

// Codes after which `--transport auto` tries Graph: the tenant or mailbox
// refuses SMTP AUTH altogether, which Graph's sendMail does not depend on.
bool smtp_auth_refused_for_good(const core::Error& error) {
  static constexpr std::string_view kCodes[] = {"smtp.client_auth_disabled_tenant",
                                                "smtp.client_auth_disabled_mailbox",
                                                "smtp.tenant_policy",
                                                "smtp.authentication_unsuccessful",
                                                "smtp.auth_not_offered",
                                                "smtp.auth_mechanism_unavailable"};
  return std::find(std::begin(kCodes), std::end(kCodes), error.code()) != std::end(kCodes);
}

// Keeps a message that could not be sent; returns the path, or "" when even
// that failed (then the caller still has the message: it was on stdin or in a file).
std::string keep_failed(const app::GlobalOptions& global, const mime::Message& message) {
  auto state = global.state_dir.empty() ? oauth2::default_state_directory()
                                        : Result<fs::path>(fs::path(global.state_dir));
  if (!state) return {};
  const fs::path directory = *state / "failed";
  std::error_code error;
  fs::create_directories(directory, error);
  ::chmod(directory.c_str(), 0700);
  std::string id = message.message_id;
  std::replace_if(
      id.begin(), id.end(),
      [](char c) {
        return !(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '@');
      },
      '_');
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const fs::path path =
      directory / fmt::format("{}-{}-{}.eml", stamp, ::getpid(), id.substr(0, 80));
  std::string contents = fmt::format("X-Mailoauth-Envelope-From: {}\r\n", message.envelope_from);
  for (const std::string& recipient : message.recipients) {
    contents += fmt::format("X-Mailoauth-Envelope-To: {}\r\n", recipient);
  }
  contents += message.data;
  if (!core::atomic_write_file(path, contents, 0600)) return {};
  return path.string();
}

struct Delivery {
  std::string transport;  // "smtp" or "graph"
  std::string summary;
  std::vector<std::string> refused;  // "addr: 550 5.1.1 ..."
};

// A password read from its file when AUTH needs it (never kept longer).
std::function<Result<core::Secret>(bool)> password_from_file(std::string path) {
  return [path = std::move(path)](bool) -> Result<core::Secret> {
    oauth2::SecretSource source;
    source.kind = oauth2::SecretSource::Kind::File;
    source.where = path;
    return oauth2::read_secret_source(source);
  };
}

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
  auto mechanisms = mechanisms_for(server, account);
  if (!mechanisms) return core::fail(mechanisms.error());

  smtp::SubmitAuth auth;
  auth.mechanisms = *mechanisms;
  if (account == nullptr) {
    auth.user = server.user;
    auth.secret = password_from_file(server.password_file);
  } else {
    auth.user = !server.user.empty() ? server.user : account->user();
    if (std::any_of(mechanisms->begin(), mechanisms->end(),
                    [](sasl::Mechanism m) { return !sasl::is_bearer(m); }) &&
        server.password_file.empty()) {
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

  std::vector<smtp::Outgoing> outgoing(1);
  outgoing[0].envelope = {message.envelope_from, message.recipients, message.needs_8bitmime,
                          message.needs_smtputf8};
  outgoing[0].message = message.data;
  auto submitted = smtp::submit(*settings, std::move(auth), std::move(outgoing));
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

Result<Delivery> via_graph(app::AppContext& context, const ServerOptions& server,
                           const oauth2::Account* account, const mime::Message& message) {
  if (account == nullptr) {
    return core::fail(ErrorClass::Config, "send.graph_needs_account",
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
  if (!server.graph_url.empty()) {
    settings.base_url = server.graph_url;
  } else if (!account->graph_url.empty()) {
    settings.base_url = account->graph_url;
  }
  oauth2::RealSleeper sleeper;
  const std::string mailbox = account->user();
  auto sent = graph::send_mime(
      context.http(*token_account), settings, mailbox, std::move(tokens->access_token), message,
      sleeper, [token_engine, token_account]() -> Result<core::Secret> {
        auto renewed = token_engine->access_token(*token_account, std::chrono::hours(24 * 3650));
        if (!renewed) return core::fail(renewed.error());
        return std::move(renewed->access_token);
      });
  if (!sent) return core::fail(sent.error());
  Delivery delivery;
  delivery.transport = "graph";
  delivery.summary = fmt::format("via graph {} (mailbox {}): 202 Accepted{}", settings.base_url,
                                 mailbox, sent->token_refreshed ? ", token renewed" : "");
  return delivery;
}

int deliver(const app::GlobalOptions& global, app::AppContext& context, const ServerOptions& server,
            const oauth2::Account* account, const mime::Message& message) {
  std::string transport = server.transport;
  if (transport.empty() && account != nullptr) transport = account->transport;
  if (transport.empty()) transport = "smtp";
  if (transport != "smtp" && transport != "graph" && transport != "auto") {
    return context.report(core::Error(ErrorClass::Config, "send.bad_transport",
                                      fmt::format("unknown transport \"{}\"", transport),
                                      "use smtp, graph or auto"));
  }
  Result<Delivery> delivered = core::fail(ErrorClass::Bug, "send.nothing", "nothing was tried");
  if (transport == "graph") {
    delivered = via_graph(context, server, account, message);
  } else {
    delivered = via_smtp(context, server, account, message, global.verbose);
    if (!delivered && transport == "auto" && smtp_auth_refused_for_good(delivered.error())) {
      fmt::print(stderr, "mailoauth: SMTP refused: {}\nmailoauth: trying Microsoft Graph instead\n",
                 delivered.error().message());
      delivered = via_graph(context, server, account, message);
    }
  }
  if (!delivered) {
    const int code = context.report(delivered.error());
    const std::string kept = keep_failed(global, message);
    if (!kept.empty()) fmt::print(stderr, "mailoauth: the message was kept in {}\n", kept);
    return code;
  }
  fmt::print("sent <{}> to {} recipient{} {}\n", message.message_id, message.recipients.size(),
             message.recipients.size() == 1 ? "" : "s", delivered->summary);
  for (const std::string& refused : delivered->refused) {
    fmt::print(stderr, "mailoauth: refused recipient {}\n", refused);
  }
  return delivered->refused.empty() ? core::kExitOk : core::kExitUnavailable;
}

void print_dry_run(const mime::Message& message) {
  fmt::print("envelope from: <{}>\n", message.envelope_from);
  for (const std::string& recipient : message.recipients) {
    fmt::print("envelope to:   <{}>\n", recipient);
  }
  fmt::print("needs 8BITMIME: {}, SMTPUTF8: {}\n\n", message.needs_8bitmime ? "yes" : "no",
             message.needs_smtputf8 ? "yes" : "no");
  std::fwrite(message.data.data(), 1, message.data.size(), stdout);
}

}  // namespace

int send_command(const app::GlobalOptions& global, const SendOptions& options) {
  app::AppContext context(global);
  const bool password_mode = options.account.empty() && !options.server.password_file.empty();

  // The account first only for what the message needs from it (the From).
  const oauth2::Account* account = nullptr;
  if (!password_mode) {
    std::string sender = options.from;
    if (auto parsed = mime::parse_address_list(options.from); parsed && !options.from.empty()) {
      sender = parsed->front().address;
    }
    auto chosen = choose_account(context, options.account, sender);
    if (!chosen) return context.report(chosen.error());
    account = *chosen;
  }

  Result<mime::Message> message = core::fail(ErrorClass::Bug, "send.none", "no message");
  auto to = mailboxes(options.to, "to");
  auto cc = mailboxes(options.cc, "cc");
  auto bcc = mailboxes(options.bcc, "bcc");
  for (auto* list : {&to, &cc, &bcc}) {
    if (!*list) return context.report(list->error());
  }
  if (!options.raw.empty()) {
    auto input = read_input(options.raw, "message");
    if (!input) return context.report(input.error());
    std::vector<std::string> recipients;
    for (const auto* list : {&*to, &*cc, &*bcc}) {
      for (const auto& mailbox : *list) recipients.push_back(mailbox.address);
    }
    mime::RawOptions raw;
    raw.recipients_from_headers = recipients.empty();
    raw.envelope_from = options.envelope_from;
    message = mime::prepare_raw_message(*input, recipients, raw);
    if (!message && message.error().code() == "mime.no_sender" && account != nullptr) {
      raw.envelope_from = account->user();
      message = mime::prepare_raw_message(*input, recipients, raw);
    }
  } else {
    mime::MessageDraft draft;
    std::string from = options.from;
    if (from.empty() && account != nullptr) from = account->user();
    if (from.empty() && password_mode) from = options.server.user;
    auto from_box = mime::parse_address_list(from);
    if (!from_box) {
      return context.report(core::Error(ErrorClass::Config, "send.no_from",
                                        "no sender: give --from, or set mailbox in the account"));
    }
    draft.from = from_box->front();
    draft.to = std::move(*to);
    draft.cc = std::move(*cc);
    draft.bcc = std::move(*bcc);
    auto reply_to = mailboxes(options.reply_to, "reply-to");
    if (!reply_to) return context.report(reply_to.error());
    draft.reply_to = std::move(*reply_to);
    draft.subject = options.subject;
    if (options.body) draft.text_body = *options.body;
    if (!options.body_file.empty()) {
      auto body = read_input(options.body_file, "body");
      if (!body) return context.report(body.error());
      draft.text_body = std::move(*body);
    }
    if (!options.html_file.empty()) {
      auto html = read_input(options.html_file, "HTML body");
      if (!html) return context.report(html.error());
      draft.html_body = std::move(*html);
    }
    for (const std::string& path : options.attachments) draft.attachments.push_back({path, {}, {}});
    message = mime::build_message(draft);
    if (message && !options.envelope_from.empty()) message->envelope_from = options.envelope_from;
  }
  if (!message) return context.report(message.error());
  if (options.dry_run) {
    print_dry_run(*message);
    return core::kExitOk;
  }
  return deliver(global, context, options.server, account, *message);
}

int sendmail_command(const app::GlobalOptions& global, const std::vector<std::string>& args) {
  app::AppContext context(global);
  bool from_headers = false, ignore_dots = false;
  std::string envelope_from;
  std::string account_name =
      std::getenv("MAILOAUTH_ACCOUNT") ? std::getenv("MAILOAUTH_ACCOUNT") : "";
  std::vector<std::string> recipients;
  auto usage = [](const std::string& message) {
    fmt::print(stderr,
               "mailoauth: {} (remedy: sendmail mode takes -t, -f SENDER, -i, -oi, --account "
               "NAME and recipients; see `mailoauth sendmail --help`)\n",
               message);
    return core::kExitUsage;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      recipients.insert(recipients.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (arg == "--help" || arg == "-h") {
      fmt::print(
          "usage: mailoauth sendmail [-t] [-i] [-f SENDER] [--account NAME] [RECIPIENT...]\n"
          "       (or installed as /usr/sbin/sendmail: ln -s $(command -v mailoauth-send) "
          "/usr/sbin/sendmail)\n\n"
          "Reads a message on stdin and sends it through the account's provider with OAuth2,\n"
          "like Postfix's or msmtp's sendmail, for cron, PHP mail() and monitoring.\n"
          "  -t          recipients from To, Cc and Bcc (Bcc then removed)\n"
          "  -i, -oi     a line with a single dot does not end the message\n"
          "  -f SENDER   envelope sender (also -r); the account is the one with this mailbox\n"
          "  -F NAME     accepted and ignored (the From header is the message's)\n"
          "  --account NAME  the account (default: MAILOAUTH_ACCOUNT, the sender's, "
          "default_account)\n"
          "Accepted and ignored: -oem -oee -odi -odb -oQ... -B... -N... -v -bm.\n"
          "Exit codes: 0 sent, 64 usage, 69 refused, 75 try later, 78 configuration.\n"
          "A message that could not be sent is kept in $XDG_STATE_HOME/mailoauth/failed/.\n");
      return core::kExitOk;
    }
    if (arg == "-t") {
      from_headers = true;
    } else if (arg == "-i" || arg == "-oi") {
      ignore_dots = true;
    } else if (arg == "-f" || arg == "-r" || arg == "-F" || arg == "--account" || arg == "-N" ||
               arg == "-B" || arg == "-O" || arg == "-X") {
      if (i + 1 >= args.size()) return usage(fmt::format("{} needs a value", arg));
      const std::string& value = args[++i];
      if (arg == "-f" || arg == "-r") envelope_from = value;
      if (arg == "--account") account_name = value;
    } else if (arg.starts_with("--account=")) {
      account_name = arg.substr(10);
    } else if ((arg.starts_with("-f") || arg.starts_with("-r")) && arg.size() > 2) {
      envelope_from = arg.substr(2);
    } else if (arg.starts_with("-F") || arg.starts_with("-N") || arg.starts_with("-B") ||
               arg.starts_with("-o") || arg == "-v" || arg == "-bm" || arg == "-U") {
      // Options sendmail callers pass by habit; nothing to do for them here.
    } else if (arg.starts_with("-b") || arg.starts_with("-q")) {
      return usage(
          fmt::format("{} is not supported: sendmail mode only sends (no queue, no "
                      "daemon, no SMTP on stdin)",
                      arg));
    } else if (arg.starts_with("-")) {
      return usage(fmt::format("unknown option {}", arg));
    } else {
      recipients.push_back(arg);
    }
  }
  std::string input(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
  if (!ignore_dots) {
    // Traditional sendmail: a line with a single "." ends the message.
    for (std::size_t at = 0; at < input.size();) {
      std::size_t end = input.find('\n', at);
      std::string_view line(input.data() + at,
                            (end == std::string::npos ? input.size() : end) - at);
      if (line == "." || line == ".\r") {
        input.resize(at);
        break;
      }
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  mime::RawOptions raw;
  raw.recipients_from_headers = from_headers;
  raw.envelope_from = envelope_from;
  auto message = mime::prepare_raw_message(input, recipients, raw);
  const oauth2::Account* account = nullptr;
  if (!message && message.error().code() == "mime.no_sender") {
    auto chosen = choose_account(context, account_name, "");
    if (chosen) {
      account = *chosen;
      raw.envelope_from = account->user();
      message = mime::prepare_raw_message(input, recipients, raw);
    }
  }
  // The input is on nobody's disk but ours: whatever fails from here, keep it.
  auto fail_keeping = [&](const core::Error& error) {
    const int code = context.report(error);
    mime::Message unsent;
    if (message) {
      unsent = *message;
    } else {
      unsent.data = input;
      unsent.message_id = "unparsed";
    }
    const std::string kept = keep_failed(global, unsent);
    if (!kept.empty()) fmt::print(stderr, "mailoauth: the message was kept in {}\n", kept);
    return code;
  };
  if (!message) return fail_keeping(message.error());
  if (account == nullptr) {
    auto chosen = choose_account(context, account_name, message->envelope_from);
    if (!chosen) return fail_keeping(chosen.error());
    account = *chosen;
  }
  return deliver(global, context, ServerOptions{}, account, *message);
}

}  // namespace mailoauth::send
