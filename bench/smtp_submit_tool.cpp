// The library side of bench/smtp_throughput.sh: N messages of SIZE bytes over
// one connection with smtp::submit (no TLS, no AUTH: the peer is Postfix's
// smtp-sink), printing the elapsed microseconds and how many were accepted.
// Usage: smtp_submit_tool HOST PORT COUNT SIZE
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "mailoauth/smtp/submit.hpp"

int main(int argc, char** argv) {
  using namespace mailoauth;
  if (argc != 5) {
    std::fprintf(stderr, "usage: smtp_submit_tool HOST PORT COUNT SIZE\n");
    return 64;
  }
  smtp::ClientSettings settings;
  settings.host = argv[1];
  settings.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  settings.security = smtp::Security::None;
  settings.helo_name = "bench.mailoauth.test";
  const int count = std::atoi(argv[3]);
  const std::size_t size = static_cast<std::size_t>(std::atol(argv[4]));
  std::string body;
  while (body.size() < size) body += "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  std::vector<smtp::Outgoing> messages;
  for (int i = 0; i < count; ++i) {
    smtp::Outgoing outgoing;
    outgoing.envelope.from = "bench@example.test";
    outgoing.envelope.recipients = {"sink@example.test"};
    outgoing.message = fmt::format(
        "From: bench@example.test\r\nTo: sink@example.test\r\nSubject: {}\r\n\r\n{}", i, body);
    messages.push_back(std::move(outgoing));
  }
  const auto started = std::chrono::steady_clock::now();
  auto result = smtp::submit(settings, std::nullopt, std::move(messages));
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started);
  if (!result) {
    std::fprintf(stderr, "smtp_submit_tool: %s\n", result.error().describe().c_str());
    return 1;
  }
  int accepted = 0;
  for (const auto& report : result->reports) accepted += report && report->delivered() ? 1 : 0;
  fmt::print("{} {}\n", elapsed.count(), accepted);
  return accepted == count ? 0 : 1;
}
