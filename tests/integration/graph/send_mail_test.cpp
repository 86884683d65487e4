// Graph sendMail against the emulator (tests/graph_emulator: the one
// exception to real servers, since Graph cannot run here), which checks
// tokens at the real OAuth2 server's introspection endpoint: a built message
// is accepted (202) and arrives byte for byte; a token for another mailbox
// is refused (ErrorAccessDenied); a bad token is renewed once through the
// callback; 429 is retried after its Retry-After, a bounded number of times;
// a message over the limit is refused before it is sent, and the emulator's
// own 413 is explained.
#include "mailoauth/graph/send_mail.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailoauth/oauth2/client_credentials.hpp"

#include "../stack_env.hpp"

extern char** environ;

namespace mailoauth::graph {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::StackEnv;

// Records the waits instead of waiting.
class RecordingSleeper final : public oauth2::Sleeper {
 public:
  void sleep(std::chrono::milliseconds duration) override { waits.push_back(duration); }
  std::vector<std::chrono::milliseconds> waits;
};

// The emulator as a child process of the test, stopped by PID.
class Emulator {
 public:
  Emulator() {
    const auto& env = StackEnv::get();
    std::string pattern = (fs::temp_directory_path() / "mailoauth-graph-XXXXXX").string();
    directory_ = mkdtemp(pattern.data());
    std::ofstream(directory_ / "secret") << env["INTROSPECT_CLIENT_SECRET"];
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    const std::string node = env["NODE"];
    const std::string script =
        (fs::path(MAILOAUTH_SOURCE_DIR) / "tests/graph_emulator/graph_emulator.mjs").string();
    const std::string secret = (directory_ / "secret").string();
    const std::string outbox = (directory_ / "outbox").string();
    std::vector<std::string> args = {
        node, script, env["OIDC_INTROSPECT_URL"], env["INTROSPECT_CLIENT_ID"], secret, outbox};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, node.c_str(), &actions, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start the Graph emulator with " + node);
    }
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    // Its first line names the port; wait at most 10 s for it.
    std::string output;
    pollfd entry{pipe_fds[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (output.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      if (::poll(&entry, 1, 100) <= 0) continue;
      char buffer[256];
      const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
    }
    output_fd_ = pipe_fds[0];
    const auto at = output.find("listening on ");
    if (at == std::string::npos)
      throw std::runtime_error("the Graph emulator did not start: " + output);
    base_url_ = "http://127.0.0.1:" + std::to_string(std::stoi(output.substr(at + 13)));
  }
  ~Emulator() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(output_fd_);
    fs::remove_all(directory_);
  }
  const std::string& base_url() const { return base_url_; }
  std::string outbox_file(int n) const {
    std::ifstream file(directory_ / "outbox" / (std::to_string(n) + ".eml"), std::ios::binary);
    std::ostringstream buffer;
    buffer << file.rdbuf();
    return buffer.str();
  }
  void throttle(int count, int retry_after) {
    oauth2::HttpClient http;
    oauth2::HttpRequest request;
    request.url = base_url_ + "/test/throttle";
    request.content_type = "application/json";
    request.body =
        core::Secret(fmt::format(R"({{"count":{},"retry_after":{}}})", count, retry_after));
    auto response = http.perform(request);
    ASSERT_TRUE(response.has_value() && response->status == 200);
  }

 private:
  fs::path directory_;
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string base_url_;
};

core::Secret alice_token() {
  const auto& env = StackEnv::get();
  oauth2::HttpClient http;
  oauth2::RealSleeper sleeper;
  oauth2::ClientCredentialsGrant grant;
  grant.token_url = env["OIDC_TOKEN_URL"];
  grant.client_id = env["CC_CLIENT_ID"];
  grant.client_secret = core::Secret(env["CC_CLIENT_SECRET"]);
  grant.scopes = {env["MAIL_SCOPE"]};
  auto token = oauth2::request_client_credentials(http, grant, {}, sleeper);
  if (!token) throw std::runtime_error(token.error().describe());
  return std::move(token->access_token);
}

const std::string kMessage =
    "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: via Graph\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nhello \xc3\xa4\r\n";

TEST(GraphSendMailTest, AcceptedAndArrivesByteForByte) {
  Emulator emulator;
  GraphSettings settings;
  settings.base_url = emulator.base_url();
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto sent = send_mime(http, settings, StackEnv::get()["USER1"], alice_token(), kMessage, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sent->attempts, 1);
  EXPECT_EQ(emulator.outbox_file(1), kMessage);
}

TEST(GraphSendMailTest, TokenForAnotherMailboxIsAccessDenied) {
  Emulator emulator;
  GraphSettings settings;
  settings.base_url = emulator.base_url();
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  auto sent = send_mime(http, settings, StackEnv::get()["USER2"], alice_token(), kMessage, sleeper);
  ASSERT_FALSE(sent.has_value());
  EXPECT_EQ(sent.error().code(), "graph.ErrorAccessDenied");
  EXPECT_EQ(sent.error().error_class(), core::ErrorClass::Permanent);
  EXPECT_NE(sent.error().message().find("request-id"), std::string::npos);
  EXPECT_NE(sent.error().remedy().find("Mail.Send"), std::string::npos);
}

TEST(GraphSendMailTest, BadTokenIsRenewedOnceThroughTheCallback) {
  Emulator emulator;
  GraphSettings settings;
  settings.base_url = emulator.base_url();
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  int renewals = 0;
  auto sent = send_mime(http, settings, StackEnv::get()["USER1"], core::Secret("expired-token"),
                        kMessage, sleeper, [&]() -> core::Result<core::Secret> {
                          ++renewals;
                          return alice_token();
                        });
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(renewals, 1);
  EXPECT_TRUE(sent->token_refreshed);

  auto refused =
      send_mime(http, settings, StackEnv::get()["USER1"], core::Secret("bad"), kMessage, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.InvalidAuthenticationToken");
  EXPECT_NE(refused.error().remedy().find("graph.microsoft.com"), std::string::npos);
}

TEST(GraphSendMailTest, ThrottlingIsRetriedAfterRetryAfterAndBounded) {
  Emulator emulator;
  GraphSettings settings;
  settings.base_url = emulator.base_url();
  settings.max_attempts = 3;
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  emulator.throttle(2, 7);
  auto sent = send_mime(http, settings, StackEnv::get()["USER1"], alice_token(), kMessage, sleeper);
  ASSERT_TRUE(sent.has_value()) << sent.error().describe();
  EXPECT_EQ(sent->attempts, 3);
  EXPECT_EQ(sleeper.waits, (std::vector<std::chrono::milliseconds>{7s, 7s}));

  emulator.throttle(5, 2);
  RecordingSleeper second;
  auto refused =
      send_mime(http, settings, StackEnv::get()["USER1"], alice_token(), kMessage, second);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_EQ(refused.error().retry_after(), std::optional<std::chrono::seconds>(2s));
  EXPECT_EQ(second.waits.size(), 2u) << "three attempts, two waits";
}

TEST(GraphSendMailTest, TooLargeIsRefusedBeforeSendingAnd413IsExplained) {
  Emulator emulator;
  GraphSettings settings;
  settings.base_url = emulator.base_url();
  oauth2::HttpClient http;
  RecordingSleeper sleeper;
  const std::string big = kMessage + std::string(3'500'000, 'x');
  auto refused = send_mime(http, settings, StackEnv::get()["USER1"], alice_token(), big, sleeper);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), "graph.too_large");
  EXPECT_NE(refused.error().remedy().find("SMTP"), std::string::npos);
  EXPECT_TRUE(emulator.outbox_file(1).empty()) << "nothing may have been sent";

  settings.max_request_size = 16 << 20;  // let it through to the emulator's own limit
  auto server_refused =
      send_mime(http, settings, StackEnv::get()["USER1"], alice_token(), big, sleeper);
  ASSERT_FALSE(server_refused.has_value());
  EXPECT_EQ(server_refused.error().code(), "graph.too_large");
  EXPECT_NE(server_refused.error().message().find("HTTP 413"), std::string::npos);
}

TEST(GraphSendMailTest, ErrorBodiesAreExplainedWithoutTheServersHelp) {
  const auto raop = explain_graph_error(
      403,
      R"({"error":{"code":"ErrorAccessDenied","message":"[RAOP] Blocked by tenant configured AppOnly AccessPolicy settings.","innerError":{"request-id":"r-1"}}})",
      "printer@contoso.com");
  EXPECT_NE(raop.remedy().find("ApplicationAccessPolicy"), std::string::npos);
  EXPECT_NE(raop.message().find("r-1"), std::string::npos);
  const auto rest = explain_graph_error(
      404,
      R"({"error":{"code":"MailboxNotEnabledForRESTAPI","message":"REST API is not yet supported for this mailbox."}})",
      "onprem@contoso.com");
  EXPECT_EQ(rest.code(), "graph.MailboxNotEnabledForRESTAPI");
  EXPECT_EQ(explain_graph_error(503, "<html>busy</html>", "x@y").error_class(),
            core::ErrorClass::Temporary);
}

}  // namespace
}  // namespace mailoauth::graph
