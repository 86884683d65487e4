// kill -9 in the middle, for real: a child process spools messages as fast
// as it can and tells the parent each queue ID only after commit() returned
// (the moment the relay would answer 250); the parent kills it with SIGKILL
// at a random moment, runs start-up recovery, and checks that every
// acknowledged message is there, whole (its content regenerated from its
// sequence number and compared byte for byte), that nothing half-written is
// in queue/, and that incoming/ is empty. Several rounds on the same spool,
// so recovery also runs over what earlier rounds left.
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailoauth/queue/spool.hpp"

#include "../../support/temporary_directory.hpp"

namespace mailoauth::queue {
namespace {

// The content of message number `sequence`: its number first, then a size
// that varies, so a truncated or mixed-up file cannot pass.
std::string content_for(unsigned sequence) {
  std::string content = "X-Sequence: " + std::to_string(sequence) + "\r\n\r\n";
  const std::size_t lines = 50 + (sequence * 7919) % 2000;
  for (std::size_t i = 0; i < lines; ++i) {
    content += "line " + std::to_string(i) + " of message " + std::to_string(sequence) + "\r\n";
  }
  return content;
}

[[noreturn]] void spool_forever(const std::filesystem::path& root, int report_fd,
                                unsigned first_sequence) {
  auto spool = Spool::open(root);
  if (!spool) _exit(2);
  for (unsigned sequence = first_sequence;; ++sequence) {
    SpooledEnvelope envelope;
    envelope.from = "scanner@contoso.com";
    envelope.recipients = {"a@example.com"};
    envelope.helo = std::to_string(sequence);  // the sequence, read back at recovery
    auto message = (*spool)->begin(envelope);
    if (!message) _exit(3);
    const std::string content = content_for(sequence);
    for (std::size_t offset = 0; offset < content.size(); offset += 4096) {
      if (!message->append(std::string_view(content).substr(offset, 4096))) _exit(4);
    }
    if (!message->commit()) _exit(5);
    const std::string line = message->id() + "\n";  // acknowledged
    if (::write(report_fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      _exit(6);
    }
  }
}

TEST(SpoolKillTest, EveryAcknowledgedMessageSurvivesSigkill) {
  testing::TemporaryDirectory directory;
  const std::filesystem::path root = directory.path() / "spool";
  std::mt19937 random(20261204);
  std::set<std::string> acknowledged;
  unsigned next_sequence = 0;
  for (int round = 0; round < 6; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      spool_forever(root, pipe_fds[1], next_sequence + 100'000 * static_cast<unsigned>(round));
    }
    ::close(pipe_fds[1]);
    // Wait (up to 20 s: fsync on a busy disk) for its first acknowledgement,
    // so every round proves something; then let it run 20 to 200 ms more and
    // kill it without warning, wherever it is.
    std::string reported;
    char buffer[4096];
    for (int waited = 0; reported.find('\n') == std::string::npos && waited < 200; ++waited) {
      pollfd readable{pipe_fds[0], POLLIN, 0};
      if (::poll(&readable, 1, 100) == 1) {
        const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
        if (got <= 0) break;
        reported.append(buffer, static_cast<std::size_t>(got));
      }
    }
    ::usleep(static_cast<useconds_t>(20'000 + random() % 180'000));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself: exit " << WEXITSTATUS(status);
    for (;;) {
      const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
      if (got <= 0) break;
      reported.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(pipe_fds[0]);
    std::size_t start = 0;
    std::size_t this_round = 0;
    for (std::size_t end; (end = reported.find('\n', start)) != std::string::npos;
         start = end + 1) {
      acknowledged.insert(reported.substr(start, end - start));
      ++this_round;
    }
    EXPECT_GT(this_round, 0u) << "round " << round
                              << " acknowledged nothing; the test proves nothing";

    auto spool = Spool::open(root);
    ASSERT_TRUE(spool);
    auto report = (*spool)->recover();
    ASSERT_TRUE(report) << report.error().describe();
    EXPECT_EQ(report->moved_to_corrupt, 0u) << "a kill must never leave a damaged file in queue/";
    std::set<std::string> present;
    for (const SpooledMessage& message : report->messages) {
      present.insert(message.envelope.id);
      const unsigned sequence = static_cast<unsigned>(std::stoul(message.envelope.helo));
      auto reader = (*spool)->open_content(Place::Queue, message.envelope.id);
      ASSERT_TRUE(reader);
      std::string content;
      for (;;) {
        auto piece = reader->read(65536);
        ASSERT_TRUE(piece);
        if (piece->empty()) break;
        content.append(*piece);
      }
      ASSERT_EQ(content, content_for(sequence)) << message.envelope.id;
    }
    for (const std::string& id : acknowledged) {
      EXPECT_TRUE(present.contains(id)) << "acknowledged and lost: " << id;
    }
    EXPECT_EQ(testing::entry_count(root / "incoming"), 0u);
    next_sequence += 1;
  }
}

}  // namespace
}  // namespace mailoauth::queue
