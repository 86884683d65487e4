// Helpers the SMTP client's integration tests share: settings for the
// stack's Dovecot submission with a trace kept in g_trace, tokens from the
// stack's OAuth2 server, simple messages, and reading a delivered message
// back over IMAPS with raw commands (so these tests do not depend on the IMAP
// client). Every wait is bounded.
#pragma once

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/smtp/client.hpp"
#include "mailoauth/smtp/submit.hpp"

#include "../stack_env.hpp"

namespace mailoauth::smtp::test_support {

using namespace std::chrono_literals;
using testing::StackEnv;

inline std::uint16_t port_of(const char* key) {
  return static_cast<std::uint16_t>(std::stoi(StackEnv::get()[key]));
}

inline std::vector<std::string> g_trace;

inline ClientSettings stack_settings() {
  ClientSettings settings;
  settings.host = "127.0.0.1";
  settings.port = port_of("SUBMISSION_PORT");
  settings.security = Security::StartTls;
  settings.tls.ca_file = StackEnv::get()["CA_FILE"];
  settings.helo_name = "client.mailoauth-test.example";
  g_trace.clear();
  settings.trace = [](TraceDirection direction, std::string_view line) {
    g_trace.push_back(fmt::format("{} {}", direction == TraceDirection::Sent ? "C:" : "S:", line));
  };
  return settings;
}

inline std::string trace_text() {
  std::string text;
  for (const auto& line : g_trace) text += line + "\n";
  return text;
}

// A client-credentials token from the stack's OAuth2 server; `prefix` picks
// the client ("CC" or "CC_SHORT", whose tokens live CC_SHORT_TOKEN_TTL s).
inline core::Secret cc_token(const std::string& prefix = "CC") {
  const auto& env = StackEnv::get();
  oauth2::HttpClient http;
  oauth2::RealSleeper sleeper;
  oauth2::ClientCredentialsGrant grant;
  grant.token_url = env["OIDC_TOKEN_URL"];
  grant.client_id = env[prefix + "_CLIENT_ID"];
  grant.client_secret = core::Secret(env[prefix + "_CLIENT_SECRET"]);
  grant.scopes = {env["MAIL_SCOPE"]};
  auto token = oauth2::request_client_credentials(http, grant, {}, sleeper);
  if (!token) throw std::runtime_error(token.error().describe());
  return std::move(token->access_token);
}

inline SubmitAuth token_auth(sasl::Mechanism mechanism) {
  SubmitAuth auth;
  auth.user = StackEnv::get()["USER1"];
  auth.mechanisms = {mechanism};
  auth.secret = [](bool) -> core::Result<core::Secret> { return cc_token(); };
  return auth;
}

inline SubmitAuth password_auth(sasl::Mechanism mechanism) {
  SubmitAuth auth;
  auth.user = StackEnv::get()["USER1"];
  auth.mechanisms = {mechanism};
  auth.secret = [](bool) -> core::Result<core::Secret> {
    return core::Secret(StackEnv::get()["USER1_PASSWORD"]);
  };
  return auth;
}

inline std::string unique_marker() {
  static int counter = 0;
  return fmt::format("smtpclient{}x{}x{}", ::getpid(),
                     std::chrono::steady_clock::now().time_since_epoch().count(), ++counter);
}

inline Outgoing simple_message(const std::string& marker, std::vector<std::string> recipients,
                               std::string body = "Hello from the SMTP client test.\r\n") {
  const std::string& alice = StackEnv::get()["USER1"];
  Outgoing outgoing;
  outgoing.envelope.from = alice;
  outgoing.envelope.recipients = std::move(recipients);
  outgoing.message = fmt::format(
      "From: Alice <{}>\r\nTo: {}\r\nSubject: {}\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
      "Message-ID: <{}@example.test>\r\n\r\n{}",
      alice, alice, marker, marker, body);
  return outgoing;
}

// --- reading the mailbox back over IMAPS, with raw commands ----------------

inline asio::awaitable<core::Result<std::string>> read_until_tag(net::Stream& stream,
                                                                 std::string tag) {
  std::string seen;
  const std::string ok = "\r\n" + tag + " ";
  while (seen.find(ok) == std::string::npos && !seen.starts_with(tag + " ")) {
    auto chunk = co_await stream.read_some(65536, 5s);
    if (!chunk) co_return core::fail(chunk.error());
    seen += *chunk;
  }
  co_return seen;
}

// The whole message whose subject contains `marker` in `user`'s INBOX, or ""
// when it is not there. With `expunge`, the message is deleted instead and
// the tagged answers to that come back.
inline asio::awaitable<core::Result<std::string>> fetch_by_subject(std::string user,
                                                                   std::string password,
                                                                   std::string marker,
                                                                   bool expunge = false) {
  auto stream =
      co_await net::Stream::connect("127.0.0.1", port_of("IMAPS_PORT"), net::NetType::Auto, 5s);
  if (!stream) co_return core::fail(stream.error());
  net::TlsSettings tls;
  tls.ca_file = StackEnv::get()["CA_FILE"];
  auto shaken = co_await stream->start_tls(tls, 5s);
  if (!shaken) co_return core::fail(shaken.error());
  auto greeting = co_await stream->read_some(4096, 5s);
  if (!greeting) co_return core::fail(greeting.error());
  std::string commands =
      fmt::format("a LOGIN \"{}\" \"{}\"\r\nb SELECT INBOX\r\nc UID SEARCH SUBJECT \"{}\"\r\n",
                  user, password, marker);
  auto sent = co_await stream->write(commands, 5s);
  if (!sent) co_return core::fail(sent.error());
  auto answers = co_await read_until_tag(*stream, "c");
  if (!answers) co_return core::fail(answers.error());
  // "* SEARCH 12" (std::regex is avoided: g++ 12 warns inside it under ASan).
  const std::size_t search = answers->find("* SEARCH ");
  if (search == std::string::npos) co_return std::string();
  const std::size_t digits = search + 9;
  const std::size_t end = answers->find_first_not_of("0123456789", digits);
  if (end == digits) co_return std::string();
  const std::string uid = answers->substr(digits, end - digits);
  // No LOGOUT: a server that closes while a large answer is still being
  // read must not turn a delivered message into an error here.
  std::string fetch =
      expunge
          ? fmt::format("d UID STORE {0} +FLAGS.SILENT (\\Deleted)\r\ne UID EXPUNGE {0}\r\n", uid)
          : fmt::format("d UID FETCH {} BODY.PEEK[]\r\n", uid);
  auto asked = co_await stream->write(fetch, 5s);
  if (!asked) co_return core::fail(asked.error());
  auto body = co_await read_until_tag(*stream, expunge ? "e" : "d");
  co_return body;
}

inline std::string wait_for_message(const std::string& user, const std::string& password,
                                    const std::string& marker) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    asio::io_context context;
    auto future =
        asio::co_spawn(context, fetch_by_subject(user, password, marker), asio::use_future);
    context.run();
    auto message = future.get();
    if (!message) throw std::runtime_error(message.error().describe());
    if (!message->empty()) return *message;
    std::this_thread::sleep_for(200ms);
  }
  return {};
}

inline std::string alice_message(const std::string& marker) {
  return wait_for_message(StackEnv::get()["USER1"], StackEnv::get()["USER1_PASSWORD"], marker);
}

inline ClientSettings peer_settings(std::uint16_t port, Security security = Security::StartTls) {
  ClientSettings settings = stack_settings();
  settings.port = port;
  settings.security = security;
  settings.timeouts.command = 2s;
  settings.timeouts.greeting = 2s;
  return settings;
}

}  // namespace mailoauth::smtp::test_support
