// The IMAP client (through SyncClient, which drives the Client coroutines)
// against the real Dovecot of the stack: implicit TLS and STARTTLS, XOAUTH2
// and OAUTHBEARER with a real token from oidc-provider, PLAIN and LOGIN with
// the basic password, refusals with the server's words, APPEND with known
// dates read back through EXAMINE, STATUS, UID SEARCH (ESEARCH and plain) and
// UID FETCH; and against tiny local peers that misbehave on purpose (no
// STARTTLS, a BYE greeting, silence). Every wait is bounded by the client's
// own deadlines, and the tests check that those deadlines were kept. The wire
// trace of every test is checked for leaked credentials.
#include <algorithm>
#include <chrono>
#include <mutex>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailoauth/imap/command_error.hpp"
#include "mailoauth/imap/date_time.hpp"
#include "mailoauth/imap/sync_client.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"

#include "../local_peer.hpp"
#include "../stack_env.hpp"

namespace mailoauth::imap {
namespace {

using namespace std::chrono_literals;
using testing::StackEnv;
using Clock = std::chrono::steady_clock;

std::uint16_t port_of(const char* key) {
  return static_cast<std::uint16_t>(std::stoi(StackEnv::get()[key]));
}

// Lines the client traced; each test checks that no secret got into them.
struct Trace {
  std::vector<std::string> lines;
  std::string all() const {
    std::string text;
    for (const auto& line : lines) text += line + "\n";
    return text;
  }
  bool has_line(std::string_view wanted) const {
    for (const auto& line : lines) {
      if (line == wanted) return true;
    }
    return false;
  }
};

ClientSettings stack_settings(TlsMode mode, Trace* trace = nullptr) {
  ClientSettings settings;
  settings.host = "127.0.0.1";
  settings.tls_mode = mode;
  settings.port = port_of(mode == TlsMode::Implicit ? "IMAPS_PORT" : "IMAP_PORT");
  settings.tls.ca_file = StackEnv::get()["CA_FILE"];
  settings.connect_timeout = 5s;
  settings.command_timeout = 5s;
  settings.session_timeout = 20s;
  if (trace != nullptr) {
    settings.trace = [trace](WireDirection direction, std::string_view line) {
      trace->lines.push_back((direction == WireDirection::Sent ? "C: " : "S: ") +
                             std::string(line));
    };
  }
  return settings;
}

class NoSleep final : public oauth2::Sleeper {
 public:
  void sleep(std::chrono::milliseconds) override {}
};

// A fresh access token for the stack's user1 mailbox (client cc-alice).
core::Secret alice_token() {
  const auto& env = StackEnv::get();
  oauth2::ClientCredentialsGrant grant;
  grant.token_url = env["OIDC_TOKEN_URL"];
  grant.client_id = env["CC_CLIENT_ID"];
  grant.client_secret = core::Secret(env["CC_CLIENT_SECRET"]);
  grant.scopes = {env["MAIL_SCOPE"]};
  oauth2::HttpClient http;
  NoSleep sleeper;
  auto token = oauth2::request_client_credentials(http, grant, {}, sleeper);
  if (!token) throw std::runtime_error("no token: " + token.error().describe());
  return std::move(token->access_token);
}

sasl::ClientCredentials bearer(std::string user, core::Secret token) {
  sasl::ClientCredentials credentials;
  credentials.user = std::move(user);
  credentials.secret = std::move(token);
  credentials.host = "127.0.0.1";
  return credentials;
}

void expect_no_secret(const Trace& trace, std::string_view secret) {
  ASSERT_FALSE(secret.empty());
  EXPECT_EQ(trace.all().find(secret), std::string::npos) << "the trace leaked a credential";
}

TEST(ImapClientTest, ImplicitTlsXoauth2WithARealToken) {
  Trace trace;
  SyncClient client(stack_settings(TlsMode::Implicit, &trace));
  auto connected = client.connect();
  ASSERT_TRUE(connected.has_value()) << connected.error().describe();
  EXPECT_TRUE(client.capabilities().offers_mechanism("XOAUTH2"));
  auto tls = client.tls();
  ASSERT_TRUE(tls.has_value());
  EXPECT_TRUE(tls->protocol == "TLSv1.3" || tls->protocol == "TLSv1.2") << tls->protocol;
  core::Secret token = alice_token();
  const std::string token_text(token.reveal());
  auto logged_in = client.authenticate(sasl::Mechanism::XOAuth2,
                                       bearer(StackEnv::get()["USER1"], std::move(token)));
  ASSERT_TRUE(logged_in.has_value()) << logged_in.error().describe() << "\n" << trace.all();
  EXPECT_TRUE(client.authenticated());
  // SASL-IR is offered and a short token fits: one line, redacted in the trace.
  bool inline_response = false;
  for (const auto& line : trace.lines) {
    if (line.find("AUTHENTICATE XOAUTH2 <redacted ") != std::string::npos) inline_response = true;
  }
  EXPECT_TRUE(inline_response) << trace.all();
  auto folders = client.list("", "*");
  ASSERT_TRUE(folders.has_value()) << folders.error().describe();
  bool inbox = false;
  for (const auto& entry : *folders) inbox = inbox || entry.name == "INBOX";
  EXPECT_TRUE(inbox);
  auto ours = client.id({{"name", "mailoauth"}, {"version", "test"}});
  ASSERT_TRUE(ours.has_value()) << ours.error().describe();
  EXPECT_TRUE(client.logout().has_value());
  EXPECT_FALSE(client.connected());
  expect_no_secret(trace, token_text);
}

// One TLS context per server (the CA file read once), shared by several
// connections, implicit TLS and STARTTLS alike; a bad CA file is refused
// before any connection is made.
TEST(ImapClientTest, OneTlsContextServesSeveralConnections) {
  net::TlsSettings tls;
  tls.ca_file = StackEnv::get()["CA_FILE"];
  auto context = net::TlsContext::client(tls);
  ASSERT_TRUE(context.has_value()) << context.error().describe();
  for (const TlsMode mode : {TlsMode::Implicit, TlsMode::StartTls, TlsMode::Implicit}) {
    ClientSettings settings = stack_settings(mode);
    settings.tls = net::TlsSettings{};  // not used: the shared context has the CA
    settings.tls_context = *context;
    SyncClient client(std::move(settings));
    auto connected = client.connect();
    ASSERT_TRUE(connected.has_value()) << connected.error().describe();
    EXPECT_TRUE(client.tls().has_value());
    client.close();
  }
  ClientSettings broken = stack_settings(TlsMode::Implicit);
  broken.tls.ca_file = "/nonexistent/ca.crt";
  SyncClient client(std::move(broken));
  auto connected = client.connect();
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), "net.ca_file") << connected.error().describe();
}

TEST(ImapClientTest, StartTlsRereadsCapabilitiesThenOauthbearer) {
  Trace trace;
  SyncClient client(stack_settings(TlsMode::StartTls, &trace));
  auto connected = client.connect();
  ASSERT_TRUE(connected.has_value()) << connected.error().describe();
  ASSERT_TRUE(client.tls().has_value());
  EXPECT_TRUE(trace.has_line("C: M1 STARTTLS") || trace.has_line("C: M2 STARTTLS")) << trace.all();
  // Dovecot offers STARTTLS only before TLS: its absence now shows the
  // capabilities were read again after the handshake, not kept from before.
  EXPECT_FALSE(client.capabilities().has("STARTTLS"));
  EXPECT_TRUE(client.capabilities().has("IMAP4rev1"));
  core::Secret token = alice_token();
  const std::string token_text(token.reveal());
  sasl::ClientCredentials credentials = bearer(StackEnv::get()["USER1"], std::move(token));
  credentials.port = port_of("IMAP_PORT");
  auto logged_in = client.authenticate(sasl::Mechanism::OAuthBearer, std::move(credentials));
  ASSERT_TRUE(logged_in.has_value()) << logged_in.error().describe();
  auto inbox = client.status("INBOX");
  ASSERT_TRUE(inbox.has_value()) << inbox.error().describe();
  EXPECT_TRUE(inbox->messages.has_value());
  EXPECT_TRUE(client.logout().has_value());
  expect_no_secret(trace, token_text);
}

TEST(ImapClientTest, ContinuationFormWhenSaslIrIsNotUsed) {
  Trace trace;
  ClientSettings settings = stack_settings(TlsMode::Implicit, &trace);
  settings.use_sasl_ir = false;
  SyncClient client(std::move(settings));
  ASSERT_TRUE(client.connect().has_value());
  core::Secret token = alice_token();
  const std::string token_text(token.reveal());
  auto logged_in = client.authenticate(sasl::Mechanism::XOAuth2,
                                       bearer(StackEnv::get()["USER1"], std::move(token)));
  ASSERT_TRUE(logged_in.has_value()) << logged_in.error().describe() << "\n" << trace.all();
  EXPECT_TRUE(trace.has_line("C: M1 AUTHENTICATE XOAUTH2")) << trace.all();
  EXPECT_TRUE(trace.has_line("S: + ")) << trace.all();
  expect_no_secret(trace, token_text);
}

// The XOAUTH2 response for `user` with a made-up token of `size` bytes, as base64.
std::size_t xoauth2_base64_size(const std::string& user, std::size_t size) {
  const std::size_t raw = std::string(
                              "user=\x01"
                              "auth=Bearer \x01\x01")
                              .size() +
                          user.size() + size;
  return (raw + 2) / 3 * 4;
}

// A token whose inline line would pass kMaxInlineCommandLine goes in the
// continuation form; Dovecot then refuses the (made-up) token in its words.
TEST(ImapClientTest, TokenTooLongForOneLineForcesTheContinuationForm) {
  const std::string user = StackEnv::get()["USER1"];
  std::size_t size = 5000;
  while (xoauth2_base64_size(user, size + 1) <= 8184) ++size;  // Dovecot takes up to 8192
  ASSERT_GT(std::string("M1 AUTHENTICATE XOAUTH2 ").size() + xoauth2_base64_size(user, size) + 2,
            kMaxInlineCommandLine);
  Trace trace;
  SyncClient client(stack_settings(TlsMode::Implicit, &trace));
  ASSERT_TRUE(client.connect().has_value());
  const std::string long_token(size, 'x');
  const auto started = Clock::now();
  auto logged_in =
      client.authenticate(sasl::Mechanism::XOAuth2, bearer(user, core::Secret(long_token)));
  ASSERT_FALSE(logged_in.has_value());
  EXPECT_LT(Clock::now() - started, 4s);
  EXPECT_TRUE(trace.has_line("C: M1 AUTHENTICATE XOAUTH2")) << trace.all();
  EXPECT_TRUE(
      trace.has_line(fmt::format("C: <redacted {} bytes>", xoauth2_base64_size(user, size))))
      << trace.all();
  EXPECT_EQ(logged_in.error().error_class(), core::ErrorClass::Permanent)
      << logged_in.error().describe();
  EXPECT_EQ(logged_in.error().code(), error_code::kAuthenticationFailed)
      << logged_in.error().describe();
  expect_no_secret(trace, long_token.substr(0, 64));
}

// Dovecot 2.3 hangs up without a word when a SASL response passes 8192
// bytes; the client says so instead of "connection closed".
TEST(ImapClientTest, TokenTooLargeForTheServerIsExplained) {
  SyncClient client(stack_settings(TlsMode::Implicit));
  ASSERT_TRUE(client.connect().has_value());
  auto logged_in =
      client.authenticate(sasl::Mechanism::XOAuth2,
                          bearer(StackEnv::get()["USER1"], core::Secret(std::string(9000, 'x'))));
  ASSERT_FALSE(logged_in.has_value());
  EXPECT_EQ(logged_in.error().code(), "imap.sasl_response_too_long")
      << logged_in.error().describe();
  EXPECT_EQ(logged_in.error().error_class(), core::ErrorClass::Permanent);
}

TEST(ImapClientTest, BadTokenIsPermanentWithTheServersWordsAndNoHang) {
  for (auto mechanism : {sasl::Mechanism::XOAuth2, sasl::Mechanism::OAuthBearer}) {
    Trace trace;
    SyncClient client(stack_settings(TlsMode::Implicit, &trace));
    ASSERT_TRUE(client.connect().has_value());
    const auto started = Clock::now();
    auto logged_in = client.authenticate(
        mechanism, bearer(StackEnv::get()["USER1"], core::Secret("not-a-valid-token")));
    ASSERT_FALSE(logged_in.has_value());
    EXPECT_LT(Clock::now() - started, 4s) << "the failure challenge must be answered";
    const auto& error = logged_in.error();
    EXPECT_EQ(error.error_class(), core::ErrorClass::Permanent) << error.describe();
    EXPECT_EQ(error.code(), error_code::kAuthenticationFailed) << error.describe();
    EXPECT_NE(error.message().find("[AUTHENTICATIONFAILED]"), std::string::npos) << error.message();
    // Dovecot sends the JSON failure challenge; its status is in the error.
    EXPECT_NE(error.message().find("the server's challenge said: status"), std::string::npos)
        << error.message() << "\n"
        << trace.all();
    expect_no_secret(trace, "not-a-valid-token");
  }
}

TEST(ImapClientTest, PlainAndLoginWithTheBasicPassword) {
  const auto& env = StackEnv::get();
  {
    Trace trace;
    SyncClient client(stack_settings(TlsMode::Implicit, &trace));
    ASSERT_TRUE(client.connect().has_value());
    sasl::ClientCredentials credentials;
    credentials.user = env["USER1"];
    credentials.secret = core::Secret(env["USER1_PASSWORD"]);
    auto plain = client.authenticate(sasl::Mechanism::Plain, std::move(credentials));
    ASSERT_TRUE(plain.has_value()) << plain.error().describe();
    EXPECT_TRUE(client.logout().has_value());
    expect_no_secret(trace, env["USER1_PASSWORD"]);
  }
  {
    Trace trace;
    SyncClient client(stack_settings(TlsMode::StartTls, &trace));
    ASSERT_TRUE(client.connect().has_value());
    auto login = client.login(env["USER2"], core::Secret(env["USER2_PASSWORD"]));
    ASSERT_TRUE(login.has_value()) << login.error().describe();
    auto inbox = client.examine("INBOX");
    ASSERT_TRUE(inbox.has_value()) << inbox.error().describe();
    EXPECT_TRUE(inbox->read_only);
    EXPECT_TRUE(client.logout().has_value());
    expect_no_secret(trace, env["USER2_PASSWORD"]);
  }
  {  // a password that needs a literal (a space and a quote are fine quoted; CR is not)
    Trace trace;
    SyncClient client(stack_settings(TlsMode::Implicit, &trace));
    ASSERT_TRUE(client.connect().has_value());
    auto login = client.login(env["USER1"], core::Secret("wrong\x7f\xc3\xa9password"));
    ASSERT_FALSE(login.has_value());
    EXPECT_EQ(login.error().code(), error_code::kAuthenticationFailed) << login.error().describe();
    expect_no_secret(trace, "password");
  }
}

TEST(ImapClientTest, WrongPasswordIsPermanentWithTheServersWords) {
  Trace trace;
  SyncClient client(stack_settings(TlsMode::Implicit, &trace));
  ASSERT_TRUE(client.connect().has_value());
  auto login = client.login(StackEnv::get()["USER1"], core::Secret("not the password"));
  ASSERT_FALSE(login.has_value());
  EXPECT_EQ(login.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_EQ(login.error().code(), error_code::kAuthenticationFailed);
  EXPECT_NE(login.error().message().find("NO [AUTHENTICATIONFAILED]"), std::string::npos)
      << login.error().message();
  EXPECT_NE(trace.all().find("LOGIN alice@"), std::string::npos) << trace.all();
  expect_no_secret(trace, "not the password");
}

TEST(ImapClientTest, UntrustedCertificateIsRefusedWithoutTheCaFile) {
  ClientSettings settings = stack_settings(TlsMode::Implicit);
  settings.tls.ca_file.clear();  // the system store does not know the stack's CA
  SyncClient client(std::move(settings));
  auto connected = client.connect();
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), "net.certificate");
  EXPECT_EQ(connected.error().error_class(), core::ErrorClass::Config);
}

TEST(ImapClientTest, MissingMailboxHasItsOwnCode) {
  const auto& env = StackEnv::get();
  SyncClient client(stack_settings(TlsMode::Implicit));
  ASSERT_TRUE(client.connect().has_value());
  ASSERT_TRUE(client.login(env["USER1"], core::Secret(env["USER1_PASSWORD"])).has_value());
  auto status = client.status("Junk");
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code(), error_code::kMailboxNotFound) << status.error().describe();
  EXPECT_EQ(status.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_TRUE(status.error().message().starts_with("mailbox not found: \"Junk\""))
      << status.error().message();
  auto examined = client.examine("Junk");
  ASSERT_FALSE(examined.has_value());
  EXPECT_EQ(examined.error().code(), error_code::kMailboxNotFound);
  EXPECT_EQ(client.selected(), nullptr);
  auto appended = client.append("Junk", "Subject: x\r\n\r\nx\r\n", {});
  ASSERT_FALSE(appended.has_value());
  EXPECT_EQ(appended.error().code(), error_code::kMailboxNotFound) << appended.error().describe();
  // The session is still usable after refusals.
  EXPECT_TRUE(client.status("INBOX").has_value());
}

std::string message_with(std::string_view subject) {
  return fmt::format(
      "From: Sender Person <sender@example.test>\r\nTo: bob@example.test\r\n"
      "Subject: {}\r\nMessage-ID: <{}@example.test>\r\n\r\nbody\r\n",
      subject, subject);
}

// Appends three messages with known dates to a folder of bob's made for the
// run (then deleted; counts are still checked as differences), then reads
// them back every way a check does.
void append_and_read_back(ClientSettings settings) {
  const auto& env = StackEnv::get();
  SyncClient client(std::move(settings));
  ASSERT_TRUE(client.connect().has_value());
  ASSERT_TRUE(client.login(env["USER2"], core::Secret(env["USER2_PASSWORD"])).has_value());
  // A folder of this run's own: other tests deliver to bob's INBOX meanwhile.
  const std::string folder =
      fmt::format("Probe-{}-{}", ::getpid(), Clock::now().time_since_epoch().count());
  ASSERT_TRUE(client.create(folder).has_value());
  struct Cleanup {
    SyncClient& client;
    std::string folder;
    ~Cleanup() { (void)client.delete_mailbox(folder); }
  } cleanup{client, folder};
  auto before = client.status(folder);
  ASSERT_TRUE(before.has_value()) << before.error().describe();
  ASSERT_TRUE(before->uidnext && before->messages && before->unseen);

  const auto base = std::chrono::sys_days(std::chrono::year(2026) / 1 / 2) + 3h + 4min + 5s;
  const std::string run = std::to_string(Clock::now().time_since_epoch().count());
  std::vector<std::uint64_t> uids;
  for (int i = 0; i < 3; ++i) {
    AppendOptions options;
    options.internal_date = core::Clock::WallTime(base + std::chrono::days(i));
    if (i == 0) options.flags = {"\\Seen"};
    auto appended =
        client.append(folder, message_with(fmt::format("probe-{}-{}", run, i)), options);
    ASSERT_TRUE(appended.has_value()) << appended.error().describe();
    ASSERT_TRUE(appended->uid.has_value()) << "Dovecot has UIDPLUS";
    uids.push_back(*appended->uid);
  }

  auto after = client.status(folder);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after->messages, *before->messages + 3);
  EXPECT_EQ(*after->unseen, *before->unseen + 2);
  EXPECT_EQ(after->uidvalidity, before->uidvalidity);

  auto examined = client.examine(folder);
  ASSERT_TRUE(examined.has_value()) << examined.error().describe();
  EXPECT_EQ(examined->exists, *after->messages);
  EXPECT_EQ(examined->uidvalidity, after->uidvalidity);
  EXPECT_EQ(examined->uidnext, uids.back() + 1);
  EXPECT_TRUE(examined->read_only);

  const std::string ours = fmt::format("UID {}:{}", uids.front(), uids.back());
  auto all = client.uid_search(ours, true);
  ASSERT_TRUE(all.has_value()) << all.error().describe();
  EXPECT_EQ(all->count, 3u);
  EXPECT_EQ(all->min_uid, uids.front());
  EXPECT_EQ(all->max_uid, uids.back());
  ASSERT_EQ(all->uids.size(), 1u);
  EXPECT_EQ(all->uids[0].first, uids.front());
  EXPECT_EQ(all->uids[0].last, uids.back());
  auto unseen = client.uid_search(ours + " UNSEEN");
  ASSERT_TRUE(unseen.has_value());
  EXPECT_EQ(unseen->count, 2u);
  EXPECT_EQ(unseen->min_uid, uids[1]);
  auto none = client.uid_search(ours + " SUBJECT no-such-subject-anywhere");
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->count, 0u);
  EXPECT_FALSE(none->min_uid.has_value());

  std::vector<FetchedMessage> fetched;
  FetchRequest request;
  request.header_fields = {"Subject", "Message-ID"};
  auto count = client.uid_fetch(fmt::format("{}:{}", uids.front(), uids.back()), request,
                                [&fetched](FetchedMessage message) -> core::Result<void> {
                                  fetched.push_back(std::move(message));
                                  return {};
                                });
  ASSERT_TRUE(count.has_value()) << count.error().describe();
  ASSERT_EQ(*count, 3u);
  ASSERT_EQ(fetched.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto& message = fetched[i];
    EXPECT_EQ(message.uid, uids[i]);
    ASSERT_TRUE(message.envelope.has_value());
    EXPECT_EQ(message.envelope->subject, fmt::format("probe-{}-{}", run, i));
    ASSERT_EQ(message.envelope->from.size(), 1u);
    EXPECT_EQ(message.envelope->from[0].address(), "sender@example.test");
    EXPECT_EQ(message.envelope->from[0].name, "Sender Person");
    ASSERT_TRUE(message.received_at.has_value()) << message.internal_date.value_or("none");
    EXPECT_EQ(*message.received_at, core::Clock::WallTime(base + std::chrono::days(i)));
    EXPECT_EQ(message.size, message_with(fmt::format("probe-{}-{}", run, i)).size());
    ASSERT_TRUE(message.flags.has_value());
    const bool seen =
        std::find(message.flags->begin(), message.flags->end(), "\\Seen") != message.flags->end();
    EXPECT_EQ(seen, i == 0);
    ASSERT_TRUE(message.header_fields.has_value());
    EXPECT_NE(message.header_fields->find(fmt::format("Subject: probe-{}-{}", run, i)),
              std::string::npos)
        << *message.header_fields;
  }
  // A callback's error stops delivery, drains the answer and comes back.
  int calls = 0;
  auto stopped = client.uid_fetch(fmt::format("{}:{}", uids.front(), uids.back()), {},
                                  [&calls](FetchedMessage) -> core::Result<void> {
                                    ++calls;
                                    return core::fail(core::ErrorClass::Bug, "test.stop", "stop");
                                  });
  ASSERT_FALSE(stopped.has_value());
  EXPECT_EQ(stopped.error().code(), "test.stop");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(client.status(folder).has_value()) << "the session survives a stopped fetch";
  EXPECT_TRUE(client.logout().has_value());
}

TEST(ImapClientTest, AppendWithDatesThenExamineStatusEsearchAndFetch) {
  append_and_read_back(stack_settings(TlsMode::Implicit));
}

// The same without the extensions Dovecot has: synchronising literals for
// APPEND and plain UID SEARCH over windows of two UIDs.
TEST(ImapClientTest, AppendAndSearchWithoutLiteralPlusOrEsearch) {
  Trace trace;
  ClientSettings settings = stack_settings(TlsMode::StartTls, &trace);
  settings.use_esearch = false;
  settings.use_literal_plus = false;
  settings.search_window = 2;
  append_and_read_back(std::move(settings));
  EXPECT_EQ(trace.all().find("ESEARCH RETURN"), std::string::npos);
  EXPECT_EQ(trace.all().find("+}"), std::string::npos) << "no literal+ when told not to";
  EXPECT_NE(trace.all().find("UID SEARCH UID 1:2 "), std::string::npos) << trace.all();
}

// A one-connection peer on 127.0.0.1 that sends `greeting`, records what it
// receives, and stays silent until the client hangs up (or 5 s pass).
class TinyPeer {
 public:
  explicit TinyPeer(std::string greeting)
      : peer_([this, greeting = std::move(greeting)](int connection) {
          if (!greeting.empty()) testing::LocalPeer::send_text(connection, greeting);
          char buffer[4096];
          for (;;) {
            const ssize_t n = ::recv(connection, buffer, sizeof buffer, 0);
            if (n <= 0) break;
            std::lock_guard lock(mutex_);
            received_.append(buffer, static_cast<std::size_t>(n));
          }
        }) {}
  std::uint16_t port() const { return peer_.port(); }
  std::string received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  std::mutex mutex_;
  std::string received_;
  testing::LocalPeer peer_;  // last: its thread stops before the members it uses go
};

// A TLS peer: `openssl s_server` with the stack's certificate, sending
// `greeting` to the one client it accepts (what Dovecot cannot be made to
// say on 127.0.0.1, e.g. LOGINDISABLED). Ended by its PID.
class TlsGreeter {
 public:
  explicit TlsGreeter(const std::string& greeting) {
    {  // a free port: bind to 0, read it, let go (s_server binds it next)
      testing::LocalPeer probe([](int) {});
      port_ = probe.port();
    }
    int input[2];
    int output[2];
    if (::pipe2(input, O_CLOEXEC) != 0 || ::pipe2(output, O_CLOEXEC) != 0) return;
    const std::string dir = StackEnv::get()["STACK_DIR"];
    const std::string accept = "127.0.0.1:" + std::to_string(port_);
    const std::string certificate = dir + "/tls/server.crt";
    const std::string key = dir + "/tls/server.key";
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(input[0], 0);
      ::dup2(output[1], 1);
      ::dup2(output[1], 2);
      ::execlp("openssl", "openssl", "s_server", "-naccept", "1", "-accept", accept.c_str(),
               "-cert", certificate.c_str(), "-key", key.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(input[0]);
    ::close(output[1]);
    input_ = input[1];
    output_ = output[0];
    (void)!::write(input_, greeting.data(), greeting.size());
    // Ready once it says ACCEPT (bounded: 5 s).
    std::string said;
    const auto give_up = Clock::now() + 5s;
    while (said.find("ACCEPT") == std::string::npos && Clock::now() < give_up) {
      pollfd ready{output_, POLLIN, 0};
      if (::poll(&ready, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = ::read(output_, buffer, sizeof buffer);
      if (n <= 0) break;
      said.append(buffer, static_cast<std::size_t>(n));
    }
    ready_ = said.find("ACCEPT") != std::string::npos;
  }
  TlsGreeter(const TlsGreeter&) = delete;
  TlsGreeter& operator=(const TlsGreeter&) = delete;
  ~TlsGreeter() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    if (input_ >= 0) ::close(input_);
    if (output_ >= 0) ::close(output_);
  }
  bool ready() const { return ready_; }
  std::uint16_t port() const { return port_; }

 private:
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  int input_ = -1;
  int output_ = -1;
  bool ready_ = false;
};

ClientSettings peer_settings(std::uint16_t port, TlsMode mode) {
  ClientSettings settings;
  settings.host = "127.0.0.1";
  settings.port = port;
  settings.tls_mode = mode;
  settings.connect_timeout = 2s;
  settings.command_timeout = 2s;
  return settings;
}

TEST(ImapClientTest, LoginDisabledIsRefusedBeforeThePasswordIsSent) {
  TlsGreeter peer("* OK [CAPABILITY IMAP4rev1 SASL-IR LOGINDISABLED AUTH=XOAUTH2] OAuth2 only\r\n");
  ASSERT_TRUE(peer.ready()) << "openssl s_server did not start";
  Trace trace;
  ClientSettings settings = peer_settings(peer.port(), TlsMode::Implicit);
  settings.tls.ca_file = StackEnv::get()["CA_FILE"];
  settings.trace = [&trace](WireDirection direction, std::string_view line) {
    trace.lines.push_back((direction == WireDirection::Sent ? "C: " : "S: ") + std::string(line));
  };
  SyncClient client(std::move(settings));
  auto connected = client.connect();
  ASSERT_TRUE(connected.has_value()) << connected.error().describe();
  EXPECT_TRUE(client.capabilities().login_disabled());
  auto login = client.login("alice@example.test", core::Secret("basic-password"));
  ASSERT_FALSE(login.has_value());
  EXPECT_EQ(login.error().code(), "imap.login_disabled");
  EXPECT_EQ(login.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(login.error().remedy().find("XOAUTH2"), std::string::npos) << login.error().remedy();
  for (const auto& line : trace.lines) EXPECT_FALSE(line.starts_with("C: ")) << line;
}

TEST(ImapClientTest, StartTlsNotOfferedIsRefusedBeforeAnythingIsSent) {
  TinyPeer peer("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2] plain only\r\n");
  SyncClient client(peer_settings(peer.port(), TlsMode::StartTls));
  auto connected = client.connect();
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), "imap.starttls_not_offered");
  EXPECT_EQ(connected.error().error_class(), core::ErrorClass::Config);
  client.close();
  EXPECT_EQ(peer.received(), "") << "nothing may be sent in the clear";
}

TEST(ImapClientTest, ByeGreetingIsATemporaryErrorWithTheServersWords) {
  TinyPeer peer("* BYE Too many connections, try later\r\n");
  SyncClient client(peer_settings(peer.port(), TlsMode::StartTls));
  auto connected = client.connect();
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), error_code::kBye);
  EXPECT_EQ(connected.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_NE(connected.error().message().find("Too many connections"), std::string::npos);
}

TEST(ImapClientTest, SilentServerEndsWithinTheSessionDeadline) {
  TinyPeer peer("");  // accepts, never says a word
  ClientSettings settings = peer_settings(peer.port(), TlsMode::Implicit);
  settings.connect_timeout = 10s;
  settings.command_timeout = 10s;
  settings.session_timeout = 1500ms;
  SyncClient client(std::move(settings));
  const auto started = Clock::now();
  auto connected = client.connect();
  const auto elapsed = Clock::now() - started;
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), "imap.session_timeout") << connected.error().describe();
  EXPECT_EQ(connected.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_GE(elapsed, 1400ms);
  EXPECT_LT(elapsed, 3s);
}

TEST(ImapClientTest, ServerSilentAfterTheGreetingEndsWithinTheCommandDeadline) {
  TinyPeer peer("* OK no capabilities here\r\n");  // then silence after CAPABILITY
  ClientSettings settings = peer_settings(peer.port(), TlsMode::StartTls);
  settings.command_timeout = 1s;
  SyncClient client(std::move(settings));
  const auto started = Clock::now();
  auto connected = client.connect();
  const auto elapsed = Clock::now() - started;
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), "imap.timeout") << connected.error().describe();
  EXPECT_EQ(connected.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_LT(elapsed, 2500ms);
  EXPECT_EQ(peer.received(), "M1 CAPABILITY\r\n");
}

TEST(ImapClientTest, ConnectionRefusedIsTemporary) {
  std::uint16_t closed_port = 0;
  {
    TinyPeer peer("");
    closed_port = peer.port();
  }  // listener closed: nothing listens there now
  SyncClient client(peer_settings(closed_port, TlsMode::Implicit));
  auto connected = client.connect();
  ASSERT_FALSE(connected.has_value());
  EXPECT_EQ(connected.error().code(), "net.connect") << connected.error().describe();
  EXPECT_EQ(connected.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_FALSE(client.status("INBOX").has_value()) << "no command on a closed session";
}

}  // namespace
}  // namespace mailoauth::imap
