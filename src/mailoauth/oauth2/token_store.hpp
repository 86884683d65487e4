// The token store: one SQLite database (WAL, synchronous=FULL, mode 0600 in a
// 0700 directory) holding, per account, the access token, the refresh token and
// the bookkeeping an admin needs (scopes granted, when each token was obtained
// and expires, the last refresh and the last error). Tokens are sealed with
// store_crypto, bound to account and field; the database alone reveals nothing.
//
// get_or_obtain() is the heart: it returns a token that stays valid for at
// least `margin`, and only when there is none does it call `obtain`, holding
// the account's own cross-process lock (flock on <store dir>/locks/<hash>.lock)
// and no SQLite transaction. So twenty processes asking at once cause one
// request to the token endpoint: the first takes the lock, obtains and saves,
// the others wait on the lock, then re-read and find the fresh token; while one
// account's identity server is slow, other accounts renew (and read) freely.
// The result is saved in one short BEGIN IMMEDIATE transaction before the lock
// is released. A process killed while obtaining releases the lock (the kernel
// does) and has saved nothing: the previous tokens, including the newest
// refresh token, stay as they were. With rotating refresh tokens the server
// may already have rotated the one it was sent, so the stored one may then be
// refused (invalid_grant: log in again); that risk is the same as when the
// lock was SQLite's. The refresh token handed to `obtain` is the stored one;
// whatever `obtain` returns replaces it (rotation), or keeps it when the
// server sent none. Waiting for the lock is bounded by `lock_timeout`. A
// read-only store makes no lock files: renewal fails with `store.read_only`.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/store_crypto.hpp"

namespace mailoauth::oauth2 {

struct StoredTokens {
  core::Secret access_token;
  std::string token_type;
  std::optional<core::Clock::WallTime> access_expires_at;
  std::optional<core::Clock::WallTime> access_obtained_at;
  core::Secret refresh_token;
  std::optional<core::Clock::WallTime> refresh_obtained_at;
  std::string scopes;
  std::optional<core::Clock::WallTime> last_refresh_at;
  std::string last_error;

  // Usable for at least `margin` from `now` (no expiry known: usable).
  bool access_valid_for(std::chrono::seconds margin, core::Clock::WallTime now) const;
  StoredTokens clone() const;
};

// A client secret kept sealed in the store (`mailoauth account secret`), in
// one of two slots so a rotation can overlap: "current" and "previous".
struct StoredClientSecret {
  std::string slot;
  core::Secret value;
  std::optional<core::Clock::WallTime> expires_at;
  std::optional<core::Clock::WallTime> added_at;
};

struct TokenStoreOptions {
  // How long to wait for another process renewing the same account (its lock),
  // and for SQLite's write lock.
  std::chrono::milliseconds lock_timeout{120'000};
};

class TokenStore {
 public:
  static core::Result<TokenStore> open(const std::filesystem::path& database, StoreKey key,
                                       const core::Clock& clock = core::system_clock(),
                                       TokenStoreOptions options = {});
  TokenStore(TokenStore&&) noexcept;
  TokenStore& operator=(TokenStore&&) noexcept;
  ~TokenStore();

  core::Result<std::optional<StoredTokens>> load(std::string_view account);
  core::Result<void> save(std::string_view account, const StoredTokens& tokens);
  core::Result<bool> remove(std::string_view account);
  core::Result<std::vector<std::string>> accounts();
  // Notes a failure for `token status`, keeping the tokens.
  core::Result<void> record_error(std::string_view account, std::string_view message);

  // Client secrets: `rotate` makes `secret` current and the current one
  // previous (the old previous is dropped), in one transaction.
  core::Result<void> rotate_client_secret(std::string_view account, const core::Secret& secret,
                                          std::optional<core::Clock::WallTime> expires_at);
  core::Result<std::vector<StoredClientSecret>> client_secrets(std::string_view account);
  core::Result<bool> remove_client_secrets(std::string_view account);
  // Replaces the account's stored secrets with these (token import).
  core::Result<void> replace_client_secrets(std::string_view account,
                                            const std::vector<StoredClientSecret>& secrets);

  using Obtain = std::function<core::Result<StoredTokens>(const std::optional<StoredTokens>&)>;
  core::Result<StoredTokens> get_or_obtain(std::string_view account, std::chrono::seconds margin,
                                           const Obtain& obtain);

  const std::filesystem::path& path() const;

  struct Impl;  // opaque: SQLite stays out of this header

 private:
  explicit TokenStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mailoauth::oauth2
