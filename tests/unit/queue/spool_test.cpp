// The spool's promises, on a real file system with system calls failed on
// purpose: a committed message reads back byte for byte with its envelope; a
// message not committed (dropped, or any write/fsync/rename failing, ENOSPC
// included) leaves nothing in queue/ and reports kNoSpace for a full disk;
// per-recipient state survives; start-up recovery removes what was never
// acknowledged, moves what cannot be read whole (a truncated file, a broken
// state) to corrupt/ and returns the rest; hold and release move both files;
// removing a delivered message fsyncs queue/ (the removal is the record).
#include "mailoauth/queue/spool.hpp"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "../../support/failing_calls.hpp"
#include "../../support/temporary_directory.hpp"

namespace mailoauth::queue {
namespace {

namespace fs = std::filesystem;

using testing::FailingCalls;
using testing::TemporaryDirectory;

std::size_t count(const fs::path& directory) {
  return testing::entry_count(directory);
}

SpooledEnvelope envelope(std::vector<std::string> recipients = {"a@example.com", "b@example.com"}) {
  SpooledEnvelope result;
  result.client = "192.0.2.7:51234";
  result.helo = "EPSON_1234";
  result.listener = "lan";
  result.route = "contoso";
  result.from = "scanner@contoso.com";
  result.recipients = std::move(recipients);
  return result;
}

std::string read_content(Spool& spool, Place place, const std::string& id) {
  auto reader = spool.open_content(place, id);
  EXPECT_TRUE(reader) << reader.error().describe();
  std::string content;
  for (;;) {
    auto piece = reader->read(7000);
    EXPECT_TRUE(piece);
    if (!piece || piece->empty()) break;
    content.append(*piece);
  }
  return content;
}

TEST(SpoolTest, CommittedMessageReadsBackWhole) {
  TemporaryDirectory directory;
  auto spool = Spool::open(directory.path() / "spool");
  ASSERT_TRUE(spool) << spool.error().describe();
  auto message = (*spool)->begin(envelope());
  ASSERT_TRUE(message);
  std::string content = "Received: from printer\r\nSubject: scan\r\n\r\n";
  for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\r\n";
  for (std::size_t offset = 0; offset < content.size(); offset += 1000) {
    ASSERT_TRUE(message->append(std::string_view(content).substr(offset, 1000)));
  }
  const std::string id = message->id();
  EXPECT_TRUE(is_queue_id(id)) << id;
  EXPECT_EQ(count(directory.path() / "spool/queue"), 0u) << "visible before commit";
  ASSERT_TRUE(message->commit());
  EXPECT_EQ(count(directory.path() / "spool/incoming"), 0u);

  auto read = (*spool)->read(Place::Queue, id);
  ASSERT_TRUE(read) << read.error().describe();
  EXPECT_EQ(read->envelope.id, id);
  EXPECT_EQ(read->envelope.recipients, envelope().recipients);
  EXPECT_EQ(read->envelope.helo, "EPSON_1234");
  EXPECT_EQ(read->content_size, content.size());
  EXPECT_EQ(read->state.recipients.size(), 2u);
  EXPECT_FALSE(read->state.finished());
  EXPECT_EQ(read_content(**spool, Place::Queue, id), content);
  struct stat info {};
  ASSERT_EQ(::stat((*spool)->path(Place::Queue, id).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(SpoolTest, UncommittedMessageLeavesNothing) {
  TemporaryDirectory directory;
  auto spool = Spool::open(directory.path());
  ASSERT_TRUE(spool);
  {
    auto message = (*spool)->begin(envelope());
    ASSERT_TRUE(message);
    ASSERT_TRUE(message->append("half a message"));
  }
  EXPECT_EQ(count(directory.path() / "incoming"), 0u);
  EXPECT_EQ(count(directory.path() / "queue"), 0u);
}

struct FailureCase {
  FailingCalls::Step step;
  int error_number;
  std::string_view code;
};

TEST(SpoolTest, EveryFailedStepLeavesNothingQueued) {
  const FailureCase cases[] = {
      {FailingCalls::Step::Write, ENOSPC, kNoSpace},
      {FailingCalls::Step::Write, EDQUOT, kNoSpace},
      {FailingCalls::Step::Write, EIO, kIoError},
      {FailingCalls::Step::Fsync, EIO, kIoError},
      {FailingCalls::Step::Fsync, ENOSPC, kNoSpace},
      {FailingCalls::Step::Rename, EIO, kIoError},
      {FailingCalls::Step::DirectoryFsync, EIO, kIoError},
  };
  for (const FailureCase& failure : cases) {
    TemporaryDirectory directory;
    FailingCalls calls(failure.step, failure.error_number);
    auto spool = Spool::open(directory.path(), calls);
    ASSERT_TRUE(spool);
    core::Result<void> outcome;
    {
      auto message = (*spool)->begin(envelope());
      ASSERT_TRUE(message);
      outcome = message->append(std::string(200'000, 'x'));
      if (outcome) outcome = message->commit();
    }
    ASSERT_FALSE(outcome) << "step " << static_cast<int>(failure.step);
    EXPECT_EQ(outcome.error().code(), failure.code) << outcome.error().describe();
    EXPECT_EQ(count(directory.path() / "incoming"), 0u);
    EXPECT_EQ(count(directory.path() / "queue"), 0u) << "step " << static_cast<int>(failure.step);
  }
}

TEST(SpoolTest, StateSurvivesAndIsReadBack) {
  TemporaryDirectory directory;
  auto spool = Spool::open(directory.path());
  ASSERT_TRUE(spool);
  auto message = (*spool)->begin(envelope({"a@x.example", "b@x.example", "c@x.example"}));
  ASSERT_TRUE(message);
  ASSERT_TRUE(message->append("Subject: x\r\n\r\nbody\r\n"));
  ASSERT_TRUE(message->commit());
  const std::string id = message->id();
  DeliveryState state = DeliveryState::fresh(3);
  state.attempts = 1;
  state.recipients[0] = {RecipientStatus::Sent, 1, "250 2.0.0 Ok: queued as ABC"};
  state.recipients[1] = {RecipientStatus::Failed, 1, "550 5.1.1 <b@x.example>: unknown\r\nX"};
  state.recipients[2] = {RecipientStatus::Deferred, 1, "451 4.3.0 try later"};
  state.next_attempt = core::system_clock().now() + std::chrono::minutes(5);
  ASSERT_TRUE((*spool)->write_state(Place::Queue, id, state));
  auto read = (*spool)->read(Place::Queue, id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->state.recipients[0].status, RecipientStatus::Sent);
  EXPECT_EQ(read->state.recipients[1].status, RecipientStatus::Failed);
  EXPECT_EQ(read->state.recipients[1].last_reply, "550 5.1.1 <b@x.example>: unknown\r\nX");
  EXPECT_EQ(read->state.recipients[2].status, RecipientStatus::Deferred);
  EXPECT_TRUE(read->state.next_attempt);
  EXPECT_FALSE(read->state.finished());
  ASSERT_TRUE((*spool)->remove(Place::Queue, id));
  EXPECT_EQ(count(directory.path() / "queue"), 0u);
}

// Counts fsyncs of directories (fstat tells them from files).
class DirectorySyncCounter : public core::SystemCalls {
 public:
  int fsync(int fd) override {
    struct stat info {};
    if (::fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) ++directory_syncs;
    return SystemCalls::fsync(fd);
  }
  int directory_syncs = 0;
};

// The scheduler records "every recipient sent" by the removal alone (no
// state file first), so the removal must be on disk when remove() returns.
TEST(SpoolTest, RemovalIsDurable) {
  TemporaryDirectory directory;
  DirectorySyncCounter calls;
  auto spool = Spool::open(directory.path(), calls);
  ASSERT_TRUE(spool);
  auto message = (*spool)->begin(envelope());
  ASSERT_TRUE(message);
  ASSERT_TRUE(message->append("Subject: x\r\n\r\nbody\r\n"));
  ASSERT_TRUE(message->commit());
  const int before = calls.directory_syncs;
  ASSERT_TRUE((*spool)->remove(Place::Queue, message->id()));
  EXPECT_EQ(count(directory.path() / "queue"), 0u);
  EXPECT_EQ(calls.directory_syncs, before + 1) << "queue/ not fsynced after the unlink";
}

TEST(SpoolTest, StateWriteOnAFullDiskIsNoSpace) {
  TemporaryDirectory directory;
  FailingCalls calls(FailingCalls::Step::Write, ENOSPC, 2);  // the message: one write
  auto spool = Spool::open(directory.path(), calls);
  ASSERT_TRUE(spool);
  auto message = (*spool)->begin(envelope());
  ASSERT_TRUE(message);
  ASSERT_TRUE(message->append("x"));
  ASSERT_TRUE(message->commit());
  auto written = (*spool)->write_state(Place::Queue, message->id(), DeliveryState::fresh(2));
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code(), kNoSpace);
  EXPECT_TRUE((*spool)->read(Place::Queue, message->id())) << "the message itself is intact";
}

TEST(SpoolTest, RecoveryRemovesIncompleteAndSetsAsideCorrupt) {
  TemporaryDirectory directory;
  std::string good_id;
  std::string truncated_id;
  std::string bad_state_id;
  {
    auto spool = Spool::open(directory.path());
    ASSERT_TRUE(spool);
    const auto commit = [&](std::string& id) {
      auto message = (*spool)->begin(envelope());
      ASSERT_TRUE(message);
      ASSERT_TRUE(message->append("Subject: y\r\n\r\n" + std::string(5000, 'z') + "\r\n"));
      ASSERT_TRUE(message->commit());
      id = message->id();
    };
    commit(good_id);
    commit(truncated_id);
    commit(bad_state_id);
    auto left = (*spool)->begin(envelope());  // the relay dies while receiving this one
    ASSERT_TRUE(left);
    ASSERT_TRUE(left->append(std::string(100'000, 'q')));
    // Simulate the crash: copy its file aside before the destructor cleans up.
    fs::copy_file((*spool)->path(Place::Incoming, left->id()),
                  directory.path() / "incoming" / "crashed");
    // A disk that lost the end of a file.
    fs::resize_file((*spool)->path(Place::Queue, truncated_id), 3000);
    std::ofstream((*spool)->state_path(Place::Queue, bad_state_id)) << "mailoauth-state 1\nrcpt 9";
    std::ofstream((*spool)->state_path(Place::Queue, "0-000000")) << "orphan";
    std::ofstream(directory.path() / "queue" / ".x.state.tmp.123") << "stale temporary";
  }
  auto spool = Spool::open(directory.path());
  ASSERT_TRUE(spool);
  auto report = (*spool)->recover();
  ASSERT_TRUE(report) << report.error().describe();
  EXPECT_EQ(report->incomplete_removed, 1u);
  EXPECT_EQ(report->moved_to_corrupt, 2u);
  ASSERT_EQ(report->messages.size(), 1u);
  EXPECT_EQ(report->messages[0].envelope.id, good_id);
  EXPECT_EQ(count(directory.path() / "incoming"), 0u);
  EXPECT_TRUE(fs::exists(directory.path() / "corrupt" / truncated_id));
  EXPECT_TRUE(fs::exists(directory.path() / "corrupt" / bad_state_id));
  EXPECT_TRUE(fs::exists(directory.path() / "corrupt" / (bad_state_id + ".state")));
  // Only the good message and nothing stray is left in queue/.
  EXPECT_EQ(count(directory.path() / "queue"), 1u);
  EXPECT_FALSE(report->notes.empty());
}

TEST(SpoolTest, HoldAndRelease) {
  TemporaryDirectory directory;
  auto spool = Spool::open(directory.path());
  ASSERT_TRUE(spool);
  auto message = (*spool)->begin(envelope());
  ASSERT_TRUE(message);
  ASSERT_TRUE(message->append("x\r\n"));
  ASSERT_TRUE(message->commit());
  const std::string id = message->id();
  ASSERT_TRUE((*spool)->write_state(Place::Queue, id, DeliveryState::fresh(2)));
  ASSERT_TRUE((*spool)->move(id, Place::Queue, Place::Hold));
  EXPECT_TRUE(fs::exists((*spool)->path(Place::Hold, id)));
  EXPECT_TRUE(fs::exists((*spool)->state_path(Place::Hold, id)));
  EXPECT_EQ(count(directory.path() / "queue"), 0u);
  ASSERT_TRUE((*spool)->move(id, Place::Hold, Place::Queue));
  auto read = (*spool)->read(Place::Queue, id);
  ASSERT_TRUE(read);
  EXPECT_EQ(read_content(**spool, Place::Queue, id), "x\r\n");
}

TEST(SpoolTest, QueueIdsAreUniqueAndSafe) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(new_queue_id(core::system_clock()));
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_FALSE(is_queue_id("../etc"));
  EXPECT_FALSE(is_queue_id("abc"));
  EXPECT_FALSE(is_queue_id("ab-cd-ef"));
  EXPECT_TRUE(is_queue_id("18f3a2b4c5d6e7-3fa2c1"));
}

}  // namespace
}  // namespace mailoauth::queue
