// Moving tokens to another host: `mailoauth token export` writes the chosen
// accounts' tokens and stored client secrets into one file encrypted with a
// passphrase, `token import` reads it back into another store. The key is
// derived with Argon2id (libsodium crypto_pwhash, a random salt, the
// parameters written into the file's header), the content sealed with
// XChaCha20-Poly1305 with the header as associated data, so a changed
// parameter, a wrong passphrase or a flipped byte all fail the same way:
// nothing is imported. Pure functions; the commands do the file I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/token_store.hpp"

namespace mailoauth::oauth2 {

struct ExportedAccount {
  std::string name;
  StoredTokens tokens;
  std::vector<StoredClientSecret> client_secrets;
};

inline constexpr std::size_t kMaxExportSize = std::size_t{16} << 20;
inline constexpr std::size_t kMinPassphrase = 8;

// The file's text. The passphrase must have at least kMinPassphrase bytes.
core::Result<std::string> seal_export(const std::vector<ExportedAccount>& accounts,
                                      const core::Secret& passphrase);

core::Result<std::vector<ExportedAccount>> open_export(std::string_view text,
                                                       const core::Secret& passphrase);

}  // namespace mailoauth::oauth2
