// Test helper for the Graph integration tests: the Graph emulator
// (tests/graph_emulator) as a child process of the test, stopped by PID,
// with its test-only controls; a sleeper that records waits instead of
// waiting; and an app-only token from the stack's OAuth2 server. Shared by
// the sendMail and the large-message tests (one executable).
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/oauth2/client_credentials.hpp"
#include "mailoauth/oauth2/http_client.hpp"
#include "mailoauth/oauth2/retry.hpp"

#include "../stack_env.hpp"

extern char** environ;

namespace mailoauth::graph::emulator_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mailoauth::testing::StackEnv;

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
        node,   script, env["OIDC_INTROSPECT_URL"],       env["INTROSPECT_CLIENT_ID"],
        secret, outbox, env["USER1"] + "," + env["USER2"]};
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
    control("/test/throttle",
            fmt::format(R"({{"count":{},"retry_after":{}}})", count, retry_after));
  }
  // Faults for the next sendMails, one each: [{"status":504,"deliver":true}, ...].
  void faults(const std::string& json) { control("/test/faults", json); }
  void deny(const std::string& mailbox) {
    control("/test/policy", fmt::format(R"({{"deny":["{}"]}})", mailbox));
  }
  // GET /test/outbox: what was accepted, with its recipients.
  std::string outbox() const {
    oauth2::HttpClient http;
    oauth2::HttpRequest request;
    request.method = "GET";
    request.url = base_url_ + "/test/outbox";
    auto response = http.perform(request);
    return response.has_value() ? response->body : std::string();
  }
  // GET {base}{path}: the emulator's test views (/test/requests, /test/drafts, ...).
  std::string get(const std::string& path) const {
    oauth2::HttpClient http;
    oauth2::HttpRequest request;
    request.method = "GET";
    request.url = base_url_ + path;
    auto response = http.perform(request);
    return response.has_value() ? response->body : std::string();
  }
  // POST {base}{path} with a JSON body; fails the test unless it answers 200.
  void control(const std::string& path, const std::string& json) {
    oauth2::HttpClient http;
    oauth2::HttpRequest request;
    request.url = base_url_ + path;
    request.content_type = "application/json";
    request.body = core::Secret(json);
    auto response = http.perform(request);
    ASSERT_TRUE(response.has_value() && response->status == 200) << path;
  }
  int accepted() const {
    const std::string list = outbox();
    int count = 0;
    for (auto at = list.find("\"path\""); at != std::string::npos;
         at = list.find("\"path\"", at + 1))
      ++count;
    return count;
  }

 private:
  fs::path directory_;
  pid_t pid_ = -1;
  int output_fd_ = -1;
  std::string base_url_;
};

inline core::Secret alice_token() {
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

// Graph settings that send to the emulator.
inline GraphSettings settings_for(const Emulator& emulator) {
  GraphSettings settings;
  settings.base_url = emulator.base_url();
  return settings;
}

inline std::string user1() {
  return StackEnv::get()["USER1"];
}

}  // namespace mailoauth::graph::emulator_test
