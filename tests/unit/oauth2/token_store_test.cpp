// The token store: files made private, tokens sealed (not in the file in
// clear), a wrong key refused at open, rotation kept, errors noted; and the two
// promises that matter most, tested with real processes: twenty processes
// asking at once cause exactly one obtain, and a process killed with SIGKILL in
// the middle of an obtain leaves the previous tokens intact and the lock free.
// The lock is per account: a slow renewal of one account does not hold back
// another's, and waiting for the same account's lock is bounded.
#include "mailoauth/oauth2/token_store.hpp"

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "processes_together.hpp"

namespace mailoauth::oauth2 {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (fs::temp_directory_path() / "mailoauth-store-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TemporaryDirectory() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

StoreKey test_key(char fill = 'k') {
  return *make_store_key(core::Secret(std::string(32, fill)), "test");
}

TokenStore open_store(const fs::path& path, const core::Clock& clock = core::system_clock(),
                      char fill = 'k') {
  auto store = TokenStore::open(path, test_key(fill), clock);
  if (!store) throw std::runtime_error(store.error().describe());
  return std::move(*store);
}

StoredTokens tokens(std::string access, std::string refresh, core::Clock::WallTime expires) {
  StoredTokens result;
  result.access_token = core::Secret(access);
  result.refresh_token = core::Secret(refresh);
  result.token_type = "Bearer";
  result.access_expires_at = expires;
  result.scopes = "mail offline_access";
  return result;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream stream(path, std::ios::binary);
  std::ostringstream contents;
  contents << stream.rdbuf();
  return contents.str();
}

// A store made in a temporary directory, and files for children to report
// in: one line per obtain (calls) and per token received (results).
struct RenewalFiles {
  TemporaryDirectory directory;
  fs::path path = directory.path() / "tokens.db";
  fs::path calls = directory.path() / "calls";
  fs::path results = directory.path() / "results";
  RenewalFiles() { auto store = open_store(path); }
};

// One line appended to a file shared by processes (O_APPEND writes are atomic).
void append_line(const fs::path& file, std::string_view text) {
  const std::string line = std::string(text) + "\n";
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

// A one-shot signal between processes over a pipe: `open` writes a byte,
// `wait` (bounded) reads it and first closes its own copy of the write end,
// so it returns false at once when every opener has died.
class Gate {
 public:
  Gate() {
    if (::pipe(fds_) != 0) throw std::runtime_error("pipe");
  }
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;
  ~Gate() {
    close_writer();
    ::close(fds_[0]);
  }
  void open() { (void)!::write(fds_[1], "x", 1); }
  void close_writer() {
    if (fds_[1] >= 0) ::close(std::exchange(fds_[1], -1));
  }
  bool wait(std::chrono::milliseconds bound) {
    close_writer();
    pollfd ready{fds_[0], POLLIN, 0};
    char byte = 0;
    return ::poll(&ready, 1, static_cast<int>(bound.count())) == 1 &&
           ::read(fds_[0], &byte, 1) == 1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// `body` in a forked child, whose return value is its exit code.
pid_t in_child(const std::function<int()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(body());
  return pid;
}

// The child's exit code, -1 when it did not exit normally.
int exit_code(pid_t pid) {
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(TokenStoreTest, FilesArePrivate) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "state" / "tokens.db";
  auto store = open_store(path);
  ASSERT_TRUE(store.save("work", tokens("a", "r", core::system_clock().now() + 1h)).has_value());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  for (const char* suffix : {"-wal", "-shm"}) {
    const fs::path companion = path.string() + suffix;
    if (::stat(companion.c_str(), &info) == 0) {
      EXPECT_EQ(info.st_mode & 077, 0u) << suffix;
    }
  }
}

TEST(TokenStoreTest, SaveLoadRoundTripWithoutTokensInClear) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "tokens.db";
  const auto expires = core::Clock::WallTime(std::chrono::milliseconds(1'900'000'000'123));
  {
    auto store = open_store(path);
    ASSERT_TRUE(store.save("work", tokens("ACCESS-TOKEN-CLEAR", "REFRESH-TOKEN-CLEAR", expires))
                    .has_value());
  }
  auto store = open_store(path);
  auto loaded = store.load("work");
  ASSERT_TRUE(loaded.has_value() && loaded->has_value());
  EXPECT_EQ((*loaded)->access_token.reveal(), "ACCESS-TOKEN-CLEAR");
  EXPECT_EQ((*loaded)->refresh_token.reveal(), "REFRESH-TOKEN-CLEAR");
  EXPECT_EQ((*loaded)->access_expires_at, expires);
  EXPECT_EQ((*loaded)->scopes, "mail offline_access");
  EXPECT_FALSE(store.load("other")->has_value());
  for (const char* suffix : {"", "-wal"}) {
    const std::string bytes = file_bytes(path.string() + suffix);
    EXPECT_EQ(bytes.find("TOKEN-CLEAR"), std::string::npos) << "token in clear in" << suffix;
  }
  EXPECT_EQ(*store.accounts(), std::vector<std::string>{"work"});
  EXPECT_TRUE(*store.remove("work"));
  EXPECT_FALSE(*store.remove("work"));
}

TEST(TokenStoreTest, WrongKeyIsRefusedAtOpen) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "tokens.db";
  { auto store = open_store(path, core::system_clock(), 'a'); }
  auto other = TokenStore::open(path, test_key('b'));
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code(), "store.wrong_key");
  EXPECT_EQ(other.error().error_class(), core::ErrorClass::Config);
}

TEST(TokenStoreTest, NotADatabaseIsExplained) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "tokens.db";
  std::ofstream(path) << "this is not sqlite, it is a text file that is long enough to matter\n";
  auto store = TokenStore::open(path, test_key());
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), "store.corrupt");
}

TEST(TokenStoreTest, ObtainsOnlyWhenMissingOrTooCloseToExpiry) {
  TemporaryDirectory directory;
  core::ManualClock clock;
  auto store = open_store(directory.path() / "tokens.db", clock);
  int calls = 0;
  const auto obtain = [&](const std::optional<StoredTokens>&) -> core::Result<StoredTokens> {
    ++calls;
    return tokens("access-" + std::to_string(calls), "", clock.now() + 3600s);
  };
  auto first = store.get_or_obtain("work", 300s, obtain);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->access_token.reveal(), "access-1");
  EXPECT_EQ(calls, 1);
  clock.advance(3000s);  // 600 s left, margin 300 s: still good
  EXPECT_EQ(store.get_or_obtain("work", 300s, obtain)->access_token.reveal(), "access-1");
  EXPECT_EQ(calls, 1);
  clock.advance(400s);  // 200 s left: within the margin
  EXPECT_EQ(store.get_or_obtain("work", 300s, obtain)->access_token.reveal(), "access-2");
  EXPECT_EQ(calls, 2);
  auto saved = store.load("work");
  EXPECT_EQ((*saved)->last_refresh_at, clock.now());
}

TEST(TokenStoreTest, RotatedRefreshTokenReplacesTheOldOneAndUnrotatedIsKept) {
  TemporaryDirectory directory;
  core::ManualClock clock;
  auto store = open_store(directory.path() / "tokens.db", clock);
  ASSERT_TRUE(store.save("work", tokens("old-access", "refresh-1", clock.now() - 1s)).has_value());
  std::string presented;
  auto rotated = store.get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>& current) {
    presented = std::string(current->refresh_token.reveal());
    return core::Result<StoredTokens>(tokens("new-access", "refresh-2", clock.now() + 1h));
  });
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(presented, "refresh-1");
  EXPECT_EQ((*store.load("work"))->refresh_token.reveal(), "refresh-2");

  clock.advance(2h);
  (void)store.get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>& current) {
    presented = std::string(current->refresh_token.reveal());
    return core::Result<StoredTokens>(tokens("newer-access", "", clock.now() + 1h));
  });
  EXPECT_EQ(presented, "refresh-2");
  EXPECT_EQ((*store.load("work"))->refresh_token.reveal(), "refresh-2") << "unrotated token lost";
}

TEST(TokenStoreTest, FailedObtainKeepsTokensAndNotesTheError) {
  TemporaryDirectory directory;
  core::ManualClock clock;
  auto store = open_store(directory.path() / "tokens.db", clock);
  ASSERT_TRUE(store.save("work", tokens("old", "refresh-1", clock.now() - 1s)).has_value());
  auto result = store.get_or_obtain("work", 60s, [](const std::optional<StoredTokens>&) {
    return core::Result<StoredTokens>(core::fail(core::ErrorClass::Permanent,
                                                 "oauth2.invalid_grant", "refresh token revoked",
                                                 "log in again"));
  });
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code(), "oauth2.invalid_grant");
  auto kept = store.load("work");
  EXPECT_EQ((*kept)->refresh_token.reveal(), "refresh-1");
  EXPECT_EQ((*kept)->last_error, "refresh token revoked (remedy: log in again)");
}

// Twenty processes, each with its own connection, ask for the same account at
// the same moment; each obtain appends a line to a file (O_APPEND is atomic).
TEST(TokenStoreTest, TwentyProcessesCauseExactlyOneObtain) {
  const RenewalFiles files;
  const fs::path& path = files.path;
  const fs::path& calls = files.calls;
  const fs::path& results = files.results;
  const auto start = std::chrono::system_clock::now() + 300ms;
  std::vector<pid_t> children;
  for (int i = 0; i < 20; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      std::this_thread::sleep_until(start);  // all start together
      auto store = TokenStore::open(path, test_key());
      if (!store) ::_exit(2);
      auto token = store->get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>&) {
        append_line(calls, "x");
        std::this_thread::sleep_for(200ms);  // a slow identity server
        return core::Result<StoredTokens>(
            tokens("the-one-token", "", std::chrono::system_clock::now() + 1h));
      });
      if (!token) ::_exit(3);
      append_line(results, token->access_token.reveal());
      ::_exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child failed";
  }
  EXPECT_EQ(file_bytes(calls), "x\n") << "more than one request would have reached the server";
  std::string expected;
  for (int i = 0; i < 20; ++i) expected += "the-one-token\n";
  EXPECT_EQ(file_bytes(results), expected);
}

TEST(TokenStoreTest, KilledDuringObtainLosesNothingAndFreesTheLock) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "tokens.db";
  {
    auto store = open_store(path);
    ASSERT_TRUE(store
                    .save("work", tokens("old-access", "newest-refresh",
                                         std::chrono::system_clock::now() - 1s))
                    .has_value());
  }
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = TokenStore::open(path, test_key());
    if (!store) ::_exit(2);
    (void)store->get_or_obtain("work", 60s, [](const std::optional<StoredTokens>&) {
      ::kill(::getpid(), SIGKILL);  // dies holding the lock, mid-refresh
      return core::Result<StoredTokens>(tokens("never", "never", {}));
    });
    ::_exit(4);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  auto store = TokenStore::open(path, test_key(), core::system_clock(), {5000ms});
  ASSERT_TRUE(store.has_value()) << store.error().describe();
  auto kept = store->load("work");
  ASSERT_TRUE(kept.has_value() && kept->has_value());
  EXPECT_EQ((*kept)->refresh_token.reveal(), "newest-refresh");
  const auto before = std::chrono::steady_clock::now();
  auto renewed = store->get_or_obtain("work", 60s, [](const std::optional<StoredTokens>& current) {
    EXPECT_EQ(current->refresh_token.reveal(), "newest-refresh");
    return core::Result<StoredTokens>(tokens("fresh", "", std::chrono::system_clock::now() + 1h));
  });
  ASSERT_TRUE(renewed.has_value()) << renewed.error().describe();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 4s) << "the dead process's lock lingered";
}

// Account "slow" is being renewed by a process whose identity server takes
// 2 s; another process renewing account "fast" meanwhile finishes first. The
// order is recorded in a file: "slow obtained" is written inside the obtain,
// before its result is saved, so while renewal held SQLite's database-wide
// lock across the obtain, "fast renewed" could only come after it.
TEST(TokenStoreTest, ASlowRenewalDoesNotHoldBackAnotherAccountsRenewal) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "tokens.db";
  const fs::path events = directory.path() / "events";
  { auto store = open_store(path); }
  Gate obtaining;
  const pid_t slow = in_child([&] {
    auto store = TokenStore::open(path, test_key());
    if (!store) return 2;
    auto token = store->get_or_obtain("slow", 60s, [&](const std::optional<StoredTokens>&) {
      append_line(events, "slow obtaining");
      obtaining.open();
      std::this_thread::sleep_for(2s);  // a slow identity server
      append_line(events, "slow obtained");
      return core::Result<StoredTokens>(
          tokens("slow-token", "", std::chrono::system_clock::now() + 1h));
    });
    return token ? 0 : 3;
  });
  const pid_t fast = in_child([&] {
    if (!obtaining.wait(30s)) return 4;  // until "slow" is inside its obtain
    auto store = TokenStore::open(path, test_key());
    if (!store) return 2;
    auto token = store->get_or_obtain("fast", 60s, [](const std::optional<StoredTokens>&) {
      return core::Result<StoredTokens>(
          tokens("fast-token", "", std::chrono::system_clock::now() + 1h));
    });
    if (!token) return 3;
    append_line(events, "fast renewed");
    return 0;
  });
  obtaining.close_writer();
  EXPECT_EQ(exit_code(slow), 0) << "2 open, 3 renewal failed";
  EXPECT_EQ(exit_code(fast), 0) << "2 open, 3 renewal failed, 4 slow never obtained";
  EXPECT_EQ(file_bytes(events), "slow obtaining\nfast renewed\nslow obtained\n");
  auto store = open_store(path);
  for (const auto& [account, token] : {std::pair{"slow", "slow-token"}, {"fast", "fast-token"}}) {
    auto loaded = store.load(account);
    ASSERT_TRUE(loaded.has_value() && loaded->has_value()) << account;
    EXPECT_EQ((*loaded)->access_token.reveal(), token);
  }
}

// The same account: the second process starts while the first is inside its
// obtain, waits for the account's lock, re-reads and finds the first's token.
// The lock files are private and name no account.
TEST(TokenStoreTest, TwoProcessesRenewingTheSameAccountMakeOneObtain) {
  const RenewalFiles files;
  const fs::path& path = files.path;
  const fs::path& calls = files.calls;
  const fs::path& results = files.results;
  Gate obtaining;
  const auto renew = [&](bool first) {
    auto store = TokenStore::open(path, test_key());
    if (!store) return 2;
    auto token = store->get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>&) {
      append_line(calls, first ? "first" : "second");
      if (first) {
        obtaining.open();
        std::this_thread::sleep_for(300ms);  // a slow identity server
      }
      return core::Result<StoredTokens>(tokens(first ? "first-token" : "second-token", "",
                                               std::chrono::system_clock::now() + 1h));
    });
    if (!token) return 3;
    append_line(results, token->access_token.reveal());
    return 0;
  };
  const pid_t first = in_child([&] { return renew(true); });
  const pid_t second = in_child([&] { return obtaining.wait(30s) ? renew(false) : 4; });
  obtaining.close_writer();
  EXPECT_EQ(exit_code(first), 0) << "2 open, 3 renewal failed";
  EXPECT_EQ(exit_code(second), 0) << "2 open, 3 renewal failed, 4 first never obtained";
  EXPECT_EQ(file_bytes(calls), "first\n") << "the second process made a request too";
  EXPECT_EQ(file_bytes(results), "first-token\nfirst-token\n");

  const fs::path locks = files.directory.path() / "locks";
  struct stat info {};
  ASSERT_EQ(::stat(locks.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  std::vector<fs::path> lock_files{fs::directory_iterator(locks), fs::directory_iterator()};
  ASSERT_EQ(lock_files.size(), 1u);
  EXPECT_EQ(lock_files[0].filename().string().find("work"), std::string::npos);
  ASSERT_EQ(::stat(lock_files[0].c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

// Waiting for another process renewing the same account ends at the store's
// lock timeout with a Temporary store.busy, without an obtain; once the holder
// has saved, its token is there without a request.
TEST(TokenStoreTest, WaitingForTheSameAccountIsBoundedByTheLockTimeout) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "tokens.db";
  { auto store = open_store(path); }
  Gate obtaining;
  Gate release;
  const pid_t holder = in_child([&] {
    auto store = TokenStore::open(path, test_key());
    if (!store) return 2;
    auto token = store->get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>&) {
      obtaining.open();
      const bool released = release.wait(30s);  // an identity server that does not answer
      return core::Result<StoredTokens>(
          tokens(released ? "held-token" : "timed-out", "", std::chrono::system_clock::now() + 1h));
    });
    return token ? 0 : 3;
  });
  obtaining.close_writer();
  ASSERT_TRUE(obtaining.wait(30s)) << "the holder never started obtaining";
  auto store = TokenStore::open(path, test_key(), core::system_clock(), {300ms});
  ASSERT_TRUE(store.has_value()) << store.error().describe();
  bool obtained = false;
  auto busy = store->get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>&) {
    obtained = true;
    return core::Result<StoredTokens>(tokens("mine", "", std::chrono::system_clock::now() + 1h));
  });
  release.open();
  ASSERT_FALSE(busy.has_value());
  EXPECT_EQ(busy.error().code(), "store.busy");
  EXPECT_EQ(busy.error().error_class(), core::ErrorClass::Temporary);
  EXPECT_FALSE(obtained);
  EXPECT_EQ(exit_code(holder), 0) << "2 open, 3 renewal failed";
  auto after = store->get_or_obtain("work", 60s, [&](const std::optional<StoredTokens>&) {
    obtained = true;
    return core::Result<StoredTokens>(tokens("mine", "", std::chrono::system_clock::now() + 1h));
  });
  ASSERT_TRUE(after.has_value()) << after.error().describe();
  EXPECT_EQ(after->access_token.reveal(), "held-token");
  EXPECT_FALSE(obtained);
}

// Root renewing a store that another user owns (sudo mailoauth --state-dir
// ...) leaves the lock directory and file to that user: left root's, the
// owner's own renewals could no longer open them. Only as root.
TEST(TokenStoreTest, RootRenewingAnotherUsersStoreLeavesTheLocksToItsOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to own files as another user";
  constexpr uid_t kNobody = 65534;
  TemporaryDirectory directory;
  const fs::path state = directory.path() / "state";
  const fs::path path = state / "tokens.db";
  { auto store = open_store(path); }
  ASSERT_EQ(::chown(state.c_str(), kNobody, kNobody), 0);
  auto store = open_store(path);
  auto token = store.get_or_obtain("work", 60s, [](const std::optional<StoredTokens>&) {
    return core::Result<StoredTokens>(tokens("a", "", std::chrono::system_clock::now() + 1h));
  });
  ASSERT_TRUE(token.has_value()) << token.error().describe();
  const fs::path locks = state / "locks";
  struct stat info {};
  ASSERT_EQ(::stat(locks.c_str(), &info), 0);
  EXPECT_EQ(info.st_uid, kNobody);
  for (const auto& file : fs::directory_iterator(locks)) {
    ASSERT_EQ(::stat(file.path().c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, kNobody) << file.path();
  }
}

// The first use of a new state directory by many processes at once, as
// `mailoauth token get` from several cron jobs or checks: the key file and the
// database (schema and sealed key check) are made by exactly one of them, and
// every process, and every later one, can use the store. Before, processes
// each wrote their own key and the store was sealed with a key no longer on
// disk ("created with another key") in most rounds.
TEST(TokenStoreTest, ManyProcessesOnAFreshStateDirectoryLeaveAUsableStoreEveryRound) {
  constexpr int kRounds = 8;
  constexpr int kProcesses = 12;
  for (int round = 0; round < kRounds; ++round) {
    TemporaryDirectory directory;
    const fs::path state = directory.path() / "state";
    StoreKeySources sources;
    sources.key_file = state / "store.key";
    const auto codes = testing::run_processes_together(kProcesses, [&](int i) {
      auto key = load_store_key(sources);
      if (!key) return 2;
      auto store = TokenStore::open(state / "tokens.db", std::move(*key));
      if (!store) return 3;
      const std::string account = "child" + std::to_string(i);
      if (!store->save(account, tokens(account, "", std::chrono::system_clock::now() + 1h))) {
        return 4;
      }
      return 0;
    });
    for (int code : codes) {
      EXPECT_EQ(code, 0) << "round " << round << ": a child failed (2 key, 3 open, 4 save)";
    }
    auto key = load_store_key(sources);
    ASSERT_TRUE(key.has_value()) << key.error().describe();
    auto store = TokenStore::open(state / "tokens.db", std::move(*key));
    ASSERT_TRUE(store.has_value()) << "round " << round << ": " << store.error().describe();
    auto accounts = store->accounts();
    ASSERT_TRUE(accounts.has_value());
    EXPECT_EQ(accounts->size(), static_cast<std::size_t>(kProcesses));
    auto loaded = store->load("child0");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().describe();
    ASSERT_TRUE(loaded->has_value());
    EXPECT_EQ((*loaded)->access_token.reveal(), "child0");
  }
}

TEST(TokenStoreTest, AnExistingStoreOpenToOthersIsTightened) {
  TemporaryDirectory directory;
  const fs::path path = directory.path() / "state" / "tokens.db";
  {  // a renewal leaves the locks directory: still only the store's files
    auto store = open_store(path);
    ASSERT_TRUE(store.get_or_obtain("work", 60s, [](const std::optional<StoredTokens>&) {
      return core::Result<StoredTokens>(tokens("a", "", std::chrono::system_clock::now() + 1h));
    }));
    ASSERT_TRUE(fs::is_directory(path.parent_path() / "locks"));
  }
  ::chmod(path.parent_path().c_str(), 0755);
  ::chmod(path.c_str(), 0644);
  { auto store = open_store(path); }
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(path.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  // A directory that holds other files too (--state-dir /var/lib by mistake)
  // keeps its mode; only the store's own files are tightened.
  std::ofstream(path.parent_path() / "someone-elses-file") << "x";
  ::chmod(path.parent_path().c_str(), 0755);
  { auto store = open_store(path); }
  ASSERT_EQ(::stat(path.parent_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0755u);
}

// A state directory this user may read but not write (a read-only mount, a
// directory prepared by an admin): a valid cached token is still served; only
// a renewal fails, and says why. Run as `nobody` when the tests run as root
// (root ignores modes), in a child process.
TEST(TokenStoreTest, AReadOnlyStateDirectoryStillServesAValidToken) {
  TemporaryDirectory directory;
  const fs::path state = directory.path() / "state";
  const fs::path path = state / "tokens.db";
  {
    auto store = open_store(path);
    ASSERT_TRUE(store.save("valid", tokens("cached", "", std::chrono::system_clock::now() + 1h)));
    ASSERT_TRUE(store.save("expired", tokens("old", "r", std::chrono::system_clock::now() - 1h)));
  }
  const bool root = ::geteuid() == 0;
  constexpr uid_t kNobody = 65534;
  for (const fs::path& file :
       {state, path, fs::path(path.string() + "-wal"), fs::path(path.string() + "-shm")}) {
    if (root) {
      ASSERT_EQ(::chown(file.c_str(), kNobody, kNobody), 0) << file;
    }
  }
  ::chmod(directory.path().c_str(), 0711);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    ::chmod((path.string() + suffix).c_str(), 0400);
  }
  ::chmod(state.c_str(), 0500);
  const fs::path outcome = directory.path() / "outcome";
  const int outcome_fd = ::open(outcome.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
  ASSERT_GE(outcome_fd, 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (root && ::setresuid(kNobody, kNobody, kNobody) != 0) ::_exit(9);
    std::string report;
    auto store = TokenStore::open(path, test_key());
    if (!store) {
      report = "open: " + store.error().describe();
    } else {
      auto valid = store->get_or_obtain("valid", 60s, [](const std::optional<StoredTokens>&) {
        return core::Result<StoredTokens>(core::fail(core::ErrorClass::Bug, "t", "no renewal"));
      });
      report += valid ? std::string(valid->access_token.reveal()) : valid.error().describe();
      report += "\n";
      auto expired = store->get_or_obtain("expired", 60s, [](const std::optional<StoredTokens>&) {
        return core::Result<StoredTokens>(tokens("new", "", std::chrono::system_clock::now()));
      });
      report += expired ? std::string("renewed") : expired.error().code();
    }
    (void)!::write(outcome_fd, report.data(), report.size());
    ::_exit(0);
  }
  ::close(outcome_fd);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << WEXITSTATUS(status);
  ::chmod(state.c_str(), 0700);
  EXPECT_EQ(file_bytes(outcome), "cached\nstore.read_only");
  EXPECT_FALSE(fs::exists(state / "locks")) << "a read-only store made lock files";
}

}  // namespace
}  // namespace mailoauth::oauth2
