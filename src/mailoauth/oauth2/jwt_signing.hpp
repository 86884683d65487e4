// Signing JWTs with a private key, for the two grants that prove who the
// client is with a signature instead of a secret: certificate credentials
// (client_assertion.hpp, Entra's private_key_jwt) and Google service accounts
// (jwt_bearer.hpp). RS256 for RSA keys, ES256 for P-256 keys, through OpenSSL
// 3's EVP interface; the key lives in an EVP_PKEY owned by a unique_ptr with
// OpenSSL's free function, and the PEM text it came from is a Secret. An
// encrypted PEM key is refused with the command that decrypts it, because a
// service that starts unattended has no one to type a passphrase. The signed
// JWT is a Secret too: it is a credential until it expires.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"

namespace mailoauth::oauth2 {

enum class JwtAlgorithm { RS256, ES256 };

std::string_view to_string(JwtAlgorithm algorithm);

class SigningKey {
 public:
  // The first private key in `pem` (other PEM blocks, such as a certificate,
  // are skipped). `origin` names the key in errors ("key.pem"), never its bytes.
  static core::Result<SigningKey> from_pem(const core::Secret& pem, std::string_view origin);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  JwtAlgorithm algorithm() const { return algorithm_; }
  // The OpenSSL key (EVP_PKEY*), for checks such as "does it match this certificate".
  void* native_handle() const;

  // base64url(header) "." base64url(payload) "." base64url(signature). Both
  // arguments are JSON objects as text; the header must say "alg" is
  // to_string(algorithm()) (the caller builds it, this signs what it is given).
  core::Result<core::Secret> sign(std::string_view header_json,
                                  std::string_view payload_json) const;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl, JwtAlgorithm algorithm);
  std::unique_ptr<Impl> impl_;
  JwtAlgorithm algorithm_;
};

// base64url without padding, as JOSE wants it.
std::string base64url(std::string_view bytes);

// Reads a whole file (a PEM key, a JSON key file) as a Secret; a Config error
// naming the path when it cannot be read or is larger than key files are (1 MiB).
core::Result<core::Secret> read_credential_file(const std::filesystem::path& path);

// 122 random bits in UUID v4 form, for jti claims.
std::string random_uuid();

}  // namespace mailoauth::oauth2
