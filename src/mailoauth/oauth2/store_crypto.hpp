// Encryption of secrets at rest for the token store: XChaCha20-Poly1305 (IETF)
// from libsodium, a random 192-bit nonce per value, and associated data that
// binds each ciphertext to its place (account and field), so a value copied
// into another row or column fails to decrypt instead of being accepted. A
// copied database without the key reveals no token.
//
// The 32-byte key comes from, in order:
//   1. MAILOAUTH_STORE_KEY: 32 bytes as 64 hex digits or base64 (for containers);
//   2. $CREDENTIALS_DIRECTORY/mailoauth-store-key (systemd LoadCredential=);
//   3. a key file (default next to the database), created 0600 with random bytes
//      on first use, its directory 0700. Processes starting together on a new
//      state directory must agree on one key: each writes its candidate to a
//      temporary file, fsyncs it and link()s it into place; link() fails with
//      EEXIST for all but the first, and they read the winner's key instead.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

class StoreKey {
 public:
  static constexpr std::size_t kSize = 32;
  // Where the key came from, for `token status` ("environment", a path, ...).
  const std::string& origin() const { return origin_; }
  const core::Secret& bytes() const { return bytes_; }

 private:
  friend core::Result<StoreKey> make_store_key(core::Secret bytes, std::string origin);
  StoreKey(core::Secret bytes, std::string origin)
      : bytes_(std::move(bytes)), origin_(std::move(origin)) {}
  core::Secret bytes_;
  std::string origin_;
};

core::Result<StoreKey> make_store_key(core::Secret bytes, std::string origin);

struct StoreKeySources {
  std::string environment_value;                // MAILOAUTH_STORE_KEY, empty when unset
  std::filesystem::path credentials_directory;  // $CREDENTIALS_DIRECTORY, empty when unset
  std::filesystem::path key_file;               // created when missing
};

// The sources as the process environment gives them, with key_file as the fallback.
StoreKeySources store_key_sources_from_environment(std::filesystem::path key_file);

core::Result<StoreKey> load_store_key(const StoreKeySources& sources);

// The state directory, made 0700 when missing, and tightened to 0700 when it
// exists, belongs to this user and is open to others. A directory that cannot
// be created or reached is a Config error naming the refusal (EACCES, ...).
// Never throws (no std::filesystem overload that can).
core::Result<void> ensure_private_directory(const std::filesystem::path& directory);

// nonce || ciphertext+tag, as stored.
std::string seal(const StoreKey& key, std::string_view plaintext, std::string_view associated_data);
core::Result<core::Secret> unseal(const StoreKey& key, std::string_view sealed,
                                  std::string_view associated_data);

}  // namespace mailoauth::oauth2
