// SQLite behind TokenStore. Small RAII wrappers for the connection, statements
// and transactions; every SQLite failure becomes a classified Error (busy or
// full disk: Temporary; cannot open, read-only, corrupt, wrong key: Config).
// Renewal is serialised per account by AccountLock (flock on a file of its
// own), not by SQLite's database-wide write lock, so no SQLite transaction is
// ever open across a request to an identity server.
#include "mailoauth/oauth2/token_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailoauth/core/file_write.hpp"

namespace mailoauth::oauth2 {

namespace {

using core::Clock;
using core::ErrorClass;

struct DatabaseCloser {
  void operator()(sqlite3* database) const { sqlite3_close_v2(database); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

constexpr std::string_view kKeyCheck = "mailoauth token store key check";
// PRAGMA user_version of the current schema (1: tokens and meta; 2: client_secrets).
constexpr int kSchemaVersion = 2;

core::Error sqlite_error(sqlite3* database, int code, std::string_view doing,
                         const std::filesystem::path& path) {
  const int primary = code & 0xff;
  const std::string detail = database != nullptr ? sqlite3_errmsg(database) : sqlite3_errstr(code);
  const std::string message =
      fmt::format("token store {}: {} failed: {}", path.string(), doing, detail);
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::Error(ErrorClass::Temporary, "store.busy", message,
                         "another mailoauth process holds the store's lock; it is probably "
                         "waiting for an identity server");
    case SQLITE_FULL:
    case SQLITE_IOERR:
      return core::Error(ErrorClass::Temporary, "store.io", message,
                         "free disk space or check the disk; nothing was lost");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return core::Error(ErrorClass::Config, "store.access", message,
                         "check the owner and mode of the store and its directory");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return core::Error(ErrorClass::Config, "store.corrupt", message,
                         "move the file aside and log in again");
    default:
      return core::Error(ErrorClass::Temporary, "store.sqlite", message);
  }
}

std::optional<std::int64_t> to_millis(const std::optional<Clock::WallTime>& time) {
  if (!time) return std::nullopt;
  return std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count();
}

std::optional<Clock::WallTime> from_millis(sqlite3_stmt* statement, int column) {
  if (sqlite3_column_type(statement, column) == SQLITE_NULL) return std::nullopt;
  return Clock::WallTime(std::chrono::duration_cast<Clock::WallTime::duration>(
      std::chrono::milliseconds(sqlite3_column_int64(statement, column))));
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

std::string column_blob(sqlite3_stmt* statement, int column) {
  const void* blob = sqlite3_column_blob(statement, column);
  if (blob == nullptr) return {};
  return std::string(static_cast<const char*>(blob),
                     static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

}  // namespace

bool StoredTokens::access_valid_for(std::chrono::seconds margin, Clock::WallTime now) const {
  if (access_token.empty()) return false;
  if (!access_expires_at) return true;
  return *access_expires_at - margin > now;
}

StoredTokens StoredTokens::clone() const {
  StoredTokens copy;
  copy.access_token = access_token.clone();
  copy.token_type = token_type;
  copy.access_expires_at = access_expires_at;
  copy.access_obtained_at = access_obtained_at;
  copy.refresh_token = refresh_token.clone();
  copy.refresh_obtained_at = refresh_obtained_at;
  copy.scopes = scopes;
  copy.last_refresh_at = last_refresh_at;
  copy.last_error = last_error;
  return copy;
}

struct TokenStore::Impl {
  std::filesystem::path path;
  StoreKey key;
  const Clock* clock;
  TokenStoreOptions options;
  bool read_only = false;  // opened SQLITE_OPEN_READONLY: the directory or file is not writable
  std::unique_ptr<sqlite3, DatabaseCloser> database;

  Impl(std::filesystem::path path_, StoreKey key_, const Clock& clock_, TokenStoreOptions options_)
      : path(std::move(path_)), key(std::move(key_)), clock(&clock_), options(options_) {}

  core::Error error(int code, std::string_view doing) const {
    return sqlite_error(database.get(), code, doing, path);
  }

  core::Result<void> exec(const char* sql, std::string_view doing) {
    const int code = sqlite3_exec(database.get(), sql, nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) return core::fail(error(code, doing));
    return {};
  }

  core::Result<std::unique_ptr<sqlite3_stmt, StatementFinalizer>> prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    const int code = sqlite3_prepare_v2(database.get(), sql, -1, &statement, nullptr);
    if (code != SQLITE_OK) return core::fail(error(code, "preparing a statement"));
    return std::unique_ptr<sqlite3_stmt, StatementFinalizer>(statement);
  }

  std::string place(std::string_view account, std::string_view field) const {
    return fmt::format("{}\x1f{}", account, field);
  }

  core::Result<std::optional<StoredTokens>> load(std::string_view account) {
    auto statement = prepare(
        "SELECT access_token, token_type, access_expires_at, access_obtained_at, refresh_token, "
        "refresh_obtained_at, scopes, last_refresh_at, last_error FROM tokens WHERE account = ?1");
    if (!statement) return core::fail(statement.error());
    sqlite3_stmt* s = statement->get();
    sqlite3_bind_text(s, 1, account.data(), static_cast<int>(account.size()), SQLITE_TRANSIENT);
    const int code = sqlite3_step(s);
    if (code == SQLITE_DONE) return std::optional<StoredTokens>();
    if (code != SQLITE_ROW) return core::fail(error(code, "reading tokens"));
    StoredTokens tokens;
    for (const auto& [column, field, target] :
         {std::tuple{0, "access_token", &tokens.access_token},
          std::tuple{4, "refresh_token", &tokens.refresh_token}}) {
      const std::string sealed = column_blob(s, column);
      if (sealed.empty()) continue;
      auto opened = unseal(key, sealed, place(account, field));
      if (!opened) return core::fail(opened.error());
      *target = std::move(*opened);
    }
    tokens.token_type = column_text(s, 1);
    tokens.access_expires_at = from_millis(s, 2);
    tokens.access_obtained_at = from_millis(s, 3);
    tokens.refresh_obtained_at = from_millis(s, 5);
    tokens.scopes = column_text(s, 6);
    tokens.last_refresh_at = from_millis(s, 7);
    tokens.last_error = column_text(s, 8);
    return std::optional<StoredTokens>(std::move(tokens));
  }

  core::Result<void> save(std::string_view account, const StoredTokens& tokens) {
    auto statement = prepare(
        "INSERT INTO tokens (account, access_token, token_type, access_expires_at, "
        "access_obtained_at, refresh_token, refresh_obtained_at, scopes, last_refresh_at, "
        "last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
        "ON CONFLICT(account) DO UPDATE SET access_token = excluded.access_token, "
        "token_type = excluded.token_type, access_expires_at = excluded.access_expires_at, "
        "access_obtained_at = excluded.access_obtained_at, refresh_token = excluded.refresh_token, "
        "refresh_obtained_at = excluded.refresh_obtained_at, scopes = excluded.scopes, "
        "last_refresh_at = excluded.last_refresh_at, last_error = excluded.last_error");
    if (!statement) return core::fail(statement.error());
    sqlite3_stmt* s = statement->get();
    const auto bind_text = [s](int index, std::string_view text) {
      sqlite3_bind_text(s, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    };
    const auto bind_time = [s](int index, const std::optional<Clock::WallTime>& time) {
      if (auto millis = to_millis(time)) {
        sqlite3_bind_int64(s, index, *millis);
      } else {
        sqlite3_bind_null(s, index);
      }
    };
    const auto bind_sealed = [&](int index, const core::Secret& value, std::string_view field) {
      if (value.empty()) {
        sqlite3_bind_null(s, index);
        return;
      }
      const std::string sealed = seal(key, value.reveal(), place(account, field));
      sqlite3_bind_blob(s, index, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
    };
    bind_text(1, account);
    bind_sealed(2, tokens.access_token, "access_token");
    bind_text(3, tokens.token_type);
    bind_time(4, tokens.access_expires_at);
    bind_time(5, tokens.access_obtained_at);
    bind_sealed(6, tokens.refresh_token, "refresh_token");
    bind_time(7, tokens.refresh_obtained_at);
    bind_text(8, tokens.scopes);
    bind_time(9, tokens.last_refresh_at);
    bind_text(10, tokens.last_error);
    const int code = sqlite3_step(s);
    if (code != SQLITE_DONE) return core::fail(error(code, "saving tokens"));
    return {};
  }
};

// Rolls back unless committed, so an early return or a failed obtain leaves the
// store exactly as it was.
class Transaction {
 public:
  explicit Transaction(TokenStore::Impl& impl) : impl_(impl) {}
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction() {
    if (open_) sqlite3_exec(impl_.database.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  core::Result<void> begin_immediate() {
    auto result = impl_.exec("BEGIN IMMEDIATE", "taking the store's lock");
    open_ = result.has_value();
    return result;
  }
  core::Result<void> commit() {
    auto result = impl_.exec("COMMIT", "committing");
    if (result) open_ = false;
    return result;
  }

 private:
  TokenStore::Impl& impl_;
  bool open_ = false;
};

namespace {

core::Error lock_error(const std::filesystem::path& file, std::string_view doing,
                       int error_number) {
  return core::Error(core::classify_errno(error_number), "store.lock",
                     fmt::format("token store lock {}: {} failed: {}", file.string(), doing,
                                 std::strerror(error_number)),
                     "check the owner and mode of the state directory and its locks directory");
}

// Root renewing a store another user owns (sudo mailoauth --state-dir ...)
// gives the lock directory and files to that user: left root's, they would
// stop the owner's own renewals.
void give_to_store_owner(int fd, const struct stat& store_directory) {
  struct stat info {};
  if (::geteuid() == 0 && ::fstat(fd, &info) == 0 && info.st_uid != store_directory.st_uid) {
    (void)!::fchown(fd, store_directory.st_uid, store_directory.st_gid);
  }
}

// <store dir>/locks, made 0700 when missing and opened relative to the store's
// directory without following a symbolic link (so root cannot be led to make
// files elsewhere); tightened when it is ours and open to others. The store
// directory's stat in `owner`.
core::Result<int> open_lock_directory(const std::filesystem::path& database, struct stat& owner) {
  const auto directory =
      database.parent_path().empty() ? std::filesystem::path(".") : database.parent_path();
  const int parent = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0) return core::fail(lock_error(directory, "opening the directory", errno));
  int fd = -1;
  int error_number = 0;
  if (::fstat(parent, &owner) != 0 || (::mkdirat(parent, "locks", 0700) != 0 && errno != EEXIST)) {
    error_number = errno;
  } else {
    fd = ::openat(parent, "locks", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    error_number = errno;
  }
  ::close(parent);
  if (fd < 0) return core::fail(lock_error(directory / "locks", "opening", error_number));
  give_to_store_owner(fd, owner);
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_uid == ::geteuid() && (info.st_mode & 077) != 0) {
    ::fchmod(fd, 0700);
  }
  return fd;
}

std::string lock_file_name(const std::filesystem::path& database, std::string_view account) {
  std::string material = database.filename().string();
  material += '\0';
  material.append(account);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(material.data()),
                     material.size());
  std::string name;
  for (std::size_t i = 0; i < 16; ++i) name += fmt::format("{:02x}", digest[i]);
  return name + ".lock";
}

// The cross-process lock for renewing one account: flock(LOCK_EX) on
// <store dir>/locks/<hash>.lock (directory 0700, file 0600), the hash over the
// database's file name and the account, so the directory names no account and
// two stores sharing a directory do not share locks. flock belongs to the open
// file: the kernel releases it when the holder dies, however it dies, and two
// threads with their own descriptors exclude each other like two processes.
// Waiting polls with LOCK_NB up to the store's lock timeout: never forever.
// The lock files stay (removing one would race with a process about to lock it).
class AccountLock {
 public:
  static core::Result<AccountLock> take(const TokenStore::Impl& impl, std::string_view account);
  AccountLock(AccountLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  AccountLock& operator=(AccountLock&&) = delete;
  AccountLock(const AccountLock&) = delete;
  ~AccountLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  explicit AccountLock(int fd) : fd_(fd) {}
  int fd_;
};

core::Result<AccountLock> AccountLock::take(const TokenStore::Impl& impl,
                                            std::string_view account) {
  struct stat owner {};
  auto locks = open_lock_directory(impl.path, owner);
  if (!locks) return core::fail(locks.error());
  const std::string name = lock_file_name(impl.path, account);
  const auto file = impl.path.parent_path() / "locks" / name;
  const int fd = ::openat(*locks, name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  const int open_error = errno;
  ::close(*locks);
  if (fd < 0) return core::fail(lock_error(file, "opening", open_error));
  give_to_store_owner(fd, owner);
  AccountLock lock(fd);
  const auto give_up = std::chrono::steady_clock::now() + impl.options.lock_timeout;
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return lock;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return core::fail(lock_error(file, "locking", errno));
    const auto now = std::chrono::steady_clock::now();
    if (now >= give_up) {
      return core::fail(
          ErrorClass::Temporary, "store.busy",
          fmt::format("token store {}: waited {:.1f} s for another process renewing \"{}\"",
                      impl.path.string(), impl.options.lock_timeout.count() / 1000.0, account),
          "another mailoauth process is renewing this account; it is probably waiting for "
          "an identity server");
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, give_up - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
}

}  // namespace

TokenStore::TokenStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenStore::TokenStore(TokenStore&&) noexcept = default;
TokenStore& TokenStore::operator=(TokenStore&&) noexcept = default;
TokenStore::~TokenStore() = default;

const std::filesystem::path& TokenStore::path() const {
  return impl_->path;
}

namespace {

// Whether this process may change the store: the database and its directory
// writable. A store it can only read still serves a valid token.
bool store_writable(const std::filesystem::path& directory, const std::filesystem::path& database) {
  return ::access(directory.c_str(), W_OK) == 0 && ::access(database.c_str(), W_OK) == 0;
}

// The database and its -wal/-shm files 0600 when they are ours and open to others.
void tighten_store_files(const std::filesystem::path& database) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = database.string() + suffix;
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0 && info.st_uid == ::geteuid() &&
        (info.st_mode & 077) != 0) {
      ::chmod(file.c_str(), 0600);
    }
  }
}

core::Error wrong_key(const std::filesystem::path& database, const StoreKey& key) {
  return core::Error(ErrorClass::Config, "store.wrong_key",
                     fmt::format("the token store {} was created with another key (this one is "
                                 "from {})",
                                 database.string(), key.origin()),
                     "use the original key (MAILOAUTH_STORE_KEY, the credentials directory or "
                     "the key file), or move the store aside and log in again");
}

}  // namespace

namespace {

// The schema and the sealed key check, made by the first process in one
// BEGIN IMMEDIATE transaction, so processes opening a new store together
// agree: the others wait for the lock, then find (and verify) what it made.
core::Result<void> initialise_store(TokenStore::Impl& impl) {
  // WAL is a property of the file; switching needs no other connection in a
  // transaction, and SQLite may answer BUSY at once instead of waiting.
  const auto give_up = std::chrono::steady_clock::now() + impl.options.lock_timeout;
  for (;;) {
    const int code =
        sqlite3_exec(impl.database.get(), "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (code == SQLITE_OK) break;
    const int primary = code & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() > give_up) {
      return core::fail(impl.error(code, "enabling WAL"));
    }
    ::usleep(10'000);
  }
  if (auto locked = impl.exec("BEGIN IMMEDIATE", "taking the store's lock to initialise it");
      !locked) {
    return core::fail(locked.error());
  }
  const auto rollback = [&impl] {
    sqlite3_exec(impl.database.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  };
  for (const auto& [sql, doing] : {
           std::pair{"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
                     "creating the schema"},
           std::pair{"CREATE TABLE IF NOT EXISTS tokens (account TEXT PRIMARY KEY, "
                     "access_token BLOB, token_type TEXT, access_expires_at INTEGER, "
                     "access_obtained_at INTEGER, refresh_token BLOB, refresh_obtained_at "
                     "INTEGER, scopes TEXT, last_refresh_at INTEGER, last_error TEXT)",
                     "creating the schema"},
           std::pair{"CREATE TABLE IF NOT EXISTS client_secrets (account TEXT NOT NULL, "
                     "slot TEXT NOT NULL, secret BLOB NOT NULL, expires_at INTEGER, "
                     "added_at INTEGER, PRIMARY KEY (account, slot))",
                     "creating the schema"},
           std::pair{"PRAGMA user_version = 2", "recording the schema version"},
       }) {
    if (auto result = impl.exec(sql, doing); !result) {
      rollback();
      return core::fail(result.error());
    }
  }
  // Under the lock: the key check is either there (made by whoever came first,
  // and it must open with our key) or we make it.
  auto check = impl.prepare("SELECT value FROM meta WHERE key = 'key_check'");
  if (!check) {
    rollback();
    return core::fail(check.error());
  }
  const int step = sqlite3_step(check->get());
  if (step == SQLITE_ROW) {
    const bool ours = unseal(impl.key, column_blob(check->get(), 0), kKeyCheck).has_value();
    check.value().reset();
    if (!ours) {
      rollback();
      return core::fail(wrong_key(impl.path, impl.key));
    }
  } else if (step == SQLITE_DONE) {
    check.value().reset();
    auto insert = impl.prepare("INSERT INTO meta (key, value) VALUES ('key_check', ?1)");
    if (!insert) {
      rollback();
      return core::fail(insert.error());
    }
    const std::string sealed = seal(impl.key, kKeyCheck, kKeyCheck);
    sqlite3_bind_blob(insert->get(), 1, sealed.data(), static_cast<int>(sealed.size()),
                      SQLITE_TRANSIENT);
    if (const int done = sqlite3_step(insert->get()); done != SQLITE_DONE) {
      rollback();
      return core::fail(impl.error(done, "initialising"));
    }
  } else {
    check.value().reset();
    rollback();
    return core::fail(impl.error(step, "reading the key check"));
  }
  return impl.exec("COMMIT", "committing the new store");
}

}  // namespace

namespace {

// The fast path of every open after the first: the schema is current and the
// key check is there and opens with this key (no write, no lock). False when
// the store still needs initialise_store; an error for a wrong key.
core::Result<bool> verify_existing_store(TokenStore::Impl& impl) {
  auto version = impl.prepare("PRAGMA user_version");
  if (!version) return core::fail(version.error());
  const int version_step = sqlite3_step(version->get());
  if (version_step != SQLITE_ROW) {
    return core::fail(impl.error(version_step, "reading the schema version"));
  }
  if (sqlite3_column_int(version->get(), 0) != kSchemaVersion) return false;
  version->reset();
  auto check = impl.prepare("SELECT value FROM meta WHERE key = 'key_check'");
  if (!check) return core::fail(check.error());
  const int step = sqlite3_step(check->get());
  if (step == SQLITE_DONE) return false;
  if (step != SQLITE_ROW) return core::fail(impl.error(step, "reading the key check"));
  if (!unseal(impl.key, column_blob(check->get(), 0), kKeyCheck)) {
    return core::fail(wrong_key(impl.path, impl.key));
  }
  return true;
}

}  // namespace

core::Result<TokenStore> TokenStore::open(const std::filesystem::path& database, StoreKey key,
                                          const core::Clock& clock, TokenStoreOptions options) {
  auto impl = std::make_unique<Impl>(database, std::move(key), clock, options);
  // The directory 0700 and the file 0600 exist before SQLite opens anything, so
  // the -wal and -shm files it makes inherit the file's mode.
  const auto directory =
      database.parent_path().empty() ? std::filesystem::path(".") : database.parent_path();
  struct stat existing {};
  const bool exists = ::stat(database.c_str(), &existing) == 0;
  if (auto ready = ensure_private_directory(directory); !ready) {
    if (!exists) return core::fail(ready.error());
  }
  // A store this user can read but not change (a read-only state directory)
  // still answers with a valid token; only renewal needs to write.
  impl->read_only = exists && !store_writable(directory, database);
  if (!impl->read_only) {
    const int fd = ::open(database.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return core::fail(ErrorClass::Config, "store.access",
                        fmt::format("cannot create the token store {}: {}", database.string(),
                                    std::strerror(errno)),
                        "check that its directory exists and is writable by this user");
    }
    ::close(fd);
    tighten_store_files(database);
  }

  sqlite3* raw = nullptr;
  const int flags =
      (impl->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int code = sqlite3_open_v2(database.c_str(), &raw, flags, nullptr);
  impl->database.reset(raw);
  if (code != SQLITE_OK) return core::fail(impl->error(code, "opening"));
  sqlite3_busy_timeout(raw, static_cast<int>(impl->options.lock_timeout.count()));
  sqlite3_extended_result_codes(raw, 1);

  // Keep the -wal and -shm files between processes: by default the last
  // connection to close checkpoints and deletes them, and the next process
  // re-creates and re-initialises both (a third of a cached `token get`).
  int persist_wal = 1;
  sqlite3_file_control(raw, "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
  // Nor checkpoint on every close: a reader that changed nothing would
  // rewrite the database header; SQLite's automatic checkpoint (every 1000
  // WAL pages, during writes) keeps the WAL small.
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  if (auto result = impl->exec("PRAGMA synchronous=FULL", "setting synchronous=FULL"); !result) {
    return core::fail(result.error());
  }
  auto checked = verify_existing_store(*impl);
  if (!checked) return core::fail(checked.error());
  if (!*checked) {
    if (impl->read_only) {
      return core::fail(ErrorClass::Config, "store.read_only",
                        fmt::format("the token store {} is not initialised and this user cannot "
                                    "write to it",
                                    database.string()),
                        "run mailoauth once as the user that owns the state directory");
    }
    if (auto initialised = initialise_store(*impl); !initialised) {
      return core::fail(initialised.error());
    }
  }
  return TokenStore(std::move(impl));
}

core::Result<std::optional<StoredTokens>> TokenStore::load(std::string_view account) {
  return impl_->load(account);
}

core::Result<void> TokenStore::save(std::string_view account, const StoredTokens& tokens) {
  return impl_->save(account, tokens);
}

core::Result<bool> TokenStore::remove(std::string_view account) {
  auto statement = impl_->prepare("DELETE FROM tokens WHERE account = ?1");
  if (!statement) return core::fail(statement.error());
  sqlite3_bind_text(statement->get(), 1, account.data(), static_cast<int>(account.size()),
                    SQLITE_TRANSIENT);
  if (const int code = sqlite3_step(statement->get()); code != SQLITE_DONE) {
    return core::fail(impl_->error(code, "removing an account"));
  }
  return sqlite3_changes(impl_->database.get()) > 0;
}

core::Result<std::vector<std::string>> TokenStore::accounts() {
  auto statement = impl_->prepare("SELECT account FROM tokens ORDER BY account");
  if (!statement) return core::fail(statement.error());
  std::vector<std::string> names;
  int code = SQLITE_OK;
  while ((code = sqlite3_step(statement->get())) == SQLITE_ROW) {
    names.push_back(column_text(statement->get(), 0));
  }
  if (code != SQLITE_DONE) return core::fail(impl_->error(code, "listing accounts"));
  return names;
}

core::Result<void> TokenStore::record_error(std::string_view account, std::string_view message) {
  auto statement = impl_->prepare("UPDATE tokens SET last_error = ?2 WHERE account = ?1");
  if (!statement) return core::fail(statement.error());
  sqlite3_bind_text(statement->get(), 1, account.data(), static_cast<int>(account.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(statement->get(), 2, message.data(), static_cast<int>(message.size()),
                    SQLITE_TRANSIENT);
  if (const int code = sqlite3_step(statement->get()); code != SQLITE_DONE) {
    return core::fail(impl_->error(code, "recording an error"));
  }
  return {};
}

namespace {

// One row of client_secrets, the value sealed to its account and slot.
core::Result<void> insert_client_secret(TokenStore::Impl& impl, std::string_view account,
                                        const StoredClientSecret& secret) {
  auto statement = impl.prepare(
      "INSERT INTO client_secrets (account, slot, secret, expires_at, added_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!statement) return core::fail(statement.error());
  sqlite3_stmt* s = statement->get();
  sqlite3_bind_text(s, 1, account.data(), static_cast<int>(account.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, secret.slot.data(), static_cast<int>(secret.slot.size()),
                    SQLITE_TRANSIENT);
  const std::string sealed =
      seal(impl.key, secret.value.reveal(),
           impl.place(account, fmt::format("client_secret.{}", secret.slot)));
  sqlite3_bind_blob(s, 3, sealed.data(), static_cast<int>(sealed.size()), SQLITE_TRANSIENT);
  for (const auto& [index, time] :
       {std::pair{4, secret.expires_at}, std::pair{5, secret.added_at}}) {
    if (auto millis = to_millis(time)) {
      sqlite3_bind_int64(s, index, *millis);
    } else {
      sqlite3_bind_null(s, index);
    }
  }
  if (const int code = sqlite3_step(s); code != SQLITE_DONE) {
    return core::fail(impl.error(code, "saving a client secret"));
  }
  return {};
}

}  // namespace

core::Result<void> TokenStore::rotate_client_secret(std::string_view account,
                                                    const core::Secret& secret,
                                                    std::optional<Clock::WallTime> expires_at) {
  // The sealed value is bound to its slot, so the current one is re-sealed as previous.
  auto existing = client_secrets(account);
  if (!existing) return core::fail(existing.error());
  std::vector<StoredClientSecret> rotated;
  for (auto& old : *existing) {
    if (old.slot != "current") continue;
    old.slot = "previous";
    rotated.push_back(std::move(old));
  }
  rotated.push_back({"current", secret.clone(), expires_at, impl_->clock->now()});
  return replace_client_secrets(account, rotated);
}

core::Result<void> TokenStore::replace_client_secrets(
    std::string_view account, const std::vector<StoredClientSecret>& secrets) {
  Transaction transaction(*impl_);
  if (auto locked = transaction.begin_immediate(); !locked) return core::fail(locked.error());
  if (auto removed = remove_client_secrets(account); !removed) return core::fail(removed.error());
  for (const auto& secret : secrets) {
    if (auto inserted = insert_client_secret(*impl_, account, secret); !inserted) {
      return core::fail(inserted.error());
    }
  }
  return transaction.commit();
}

core::Result<std::vector<StoredClientSecret>> TokenStore::client_secrets(std::string_view account) {
  auto statement = impl_->prepare(
      "SELECT slot, secret, expires_at, added_at FROM client_secrets WHERE account = ?1 "
      "ORDER BY slot = 'current' DESC, slot");
  if (!statement) return core::fail(statement.error());
  sqlite3_stmt* s = statement->get();
  sqlite3_bind_text(s, 1, account.data(), static_cast<int>(account.size()), SQLITE_TRANSIENT);
  std::vector<StoredClientSecret> secrets;
  int code = SQLITE_OK;
  while ((code = sqlite3_step(s)) == SQLITE_ROW) {
    StoredClientSecret secret;
    secret.slot = column_text(s, 0);
    auto opened = unseal(impl_->key, column_blob(s, 1),
                         impl_->place(account, fmt::format("client_secret.{}", secret.slot)));
    if (!opened) return core::fail(opened.error());
    secret.value = std::move(*opened);
    secret.expires_at = from_millis(s, 2);
    secret.added_at = from_millis(s, 3);
    secrets.push_back(std::move(secret));
  }
  if (code != SQLITE_DONE) return core::fail(impl_->error(code, "reading client secrets"));
  return secrets;
}

core::Result<bool> TokenStore::remove_client_secrets(std::string_view account) {
  auto statement = impl_->prepare("DELETE FROM client_secrets WHERE account = ?1");
  if (!statement) return core::fail(statement.error());
  sqlite3_bind_text(statement->get(), 1, account.data(), static_cast<int>(account.size()),
                    SQLITE_TRANSIENT);
  if (const int code = sqlite3_step(statement->get()); code != SQLITE_DONE) {
    return core::fail(impl_->error(code, "removing client secrets"));
  }
  return sqlite3_changes(impl_->database.get()) > 0;
}

core::Result<StoredTokens> TokenStore::get_or_obtain(std::string_view account,
                                                     std::chrono::seconds margin,
                                                     const Obtain& obtain) {
  // Fast path without the lock: WAL readers never wait for a writer.
  auto current = impl_->load(account);
  if (!current) return core::fail(current.error());
  if (*current && (*current)->access_valid_for(margin, impl_->clock->now())) {
    return std::move(**current);
  }
  if (impl_->read_only) {
    return core::fail(ErrorClass::Config, "store.read_only",
                      fmt::format("the token of \"{}\" needs renewing, but this user cannot "
                                  "write to the token store {}",
                                  account, impl_->path.string()),
                      "run as the user that owns the state directory, or make it writable");
  }

  auto lock = AccountLock::take(*impl_, account);
  if (!lock) return core::fail(lock.error());
  // Someone may have renewed while we waited for the lock: then no request.
  current = impl_->load(account);
  if (!current) return core::fail(current.error());
  if (*current && (*current)->access_valid_for(margin, impl_->clock->now())) {
    return std::move(**current);
  }

  auto obtained = obtain(*current);  // no SQLite transaction open: other accounts go on
  const auto now = impl_->clock->now();
  if (!obtained) {
    if (*current) {  // keep the tokens, note why they could not be renewed
      (void)record_error(account, obtained.error().describe());
    }
    return core::fail(std::move(obtained.error()));
  }
  StoredTokens fresh = std::move(*obtained);
  if (!fresh.access_obtained_at) fresh.access_obtained_at = now;
  fresh.last_refresh_at = now;
  fresh.last_error.clear();
  if (fresh.refresh_token.empty()) {
    if (*current && !(*current)->refresh_token.empty()) {  // server did not rotate: keep it
      fresh.refresh_token = (*current)->refresh_token.clone();
      fresh.refresh_obtained_at = (*current)->refresh_obtained_at;
    }
  } else if (!fresh.refresh_obtained_at) {
    fresh.refresh_obtained_at = now;
  }
  if (fresh.scopes.empty() && *current) fresh.scopes = (*current)->scopes;
  // Saved whole in one short transaction, before the account's lock is let go.
  Transaction transaction(*impl_);
  if (auto locked = transaction.begin_immediate(); !locked) return core::fail(locked.error());
  if (auto saved = impl_->save(account, fresh); !saved) return core::fail(saved.error());
  if (auto committed = transaction.commit(); !committed) return core::fail(committed.error());
  return fresh;
}

}  // namespace mailoauth::oauth2
