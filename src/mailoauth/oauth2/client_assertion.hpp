// Certificate credentials (RFC 7523 client authentication, "private_key_jwt"),
// as Microsoft Entra expects them: instead of a client secret, the client
// sends a short-lived JWT signed with the private key of a certificate that was
// uploaded to the app registration. Entra finds the certificate by the
// header's `x5t#S256` (base64url SHA-256 of the DER certificate) or, older,
// `x5t` (SHA-1); both are sent. Claims: aud = the token endpoint URL, iss =
// sub = the client id, a random jti, nbf = iat = now, exp = now + 10 minutes.
// A fresh assertion is made for every attempt (token_request.cpp), because
// servers refuse a jti they have seen (oidc-provider does, tested).
// The certificate and key are PEM, in one file or two; the key is checked to
// belong to the certificate at load time, so a mismatch is named there and not
// as an opaque invalid_client later. The certificate's notAfter is kept for
// the checks that warn before it runs out (check_oauth_token).
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"
#include "mailoauth/core/secret.hpp"
#include "mailoauth/oauth2/jwt_signing.hpp"

namespace mailoauth::oauth2 {

inline constexpr std::chrono::seconds kClientAssertionLifetime{600};

inline constexpr std::string_view kClientAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

class AssertionCredentials {
 public:
  // The certificate from `certificate_file`, the key from `private_key_file`
  // (which may be the same file).
  static core::Result<AssertionCredentials> load(const std::filesystem::path& certificate_file,
                                                 const std::filesystem::path& private_key_file);
  // The same from PEM text; `origin` names the key in errors.
  static core::Result<AssertionCredentials> from_pem(std::string_view certificate_pem,
                                                     const core::Secret& private_key_pem,
                                                     std::string_view origin = "the key");

  // x5t#S256 and x5t, base64url without padding.
  const std::string& thumbprint_sha256() const { return thumbprint_sha256_; }
  const std::string& thumbprint_sha1() const { return thumbprint_sha1_; }
  // SHA-1 in hex, upper case: what the Entra portal shows as "Thumbprint".
  const std::string& thumbprint_hex() const { return thumbprint_hex_; }
  const SigningKey& key() const { return key_; }
  // The certificate's notAfter (absent only if OpenSSL could not read it).
  const std::optional<std::chrono::system_clock::time_point>& not_after() const {
    return not_after_;
  }

 private:
  AssertionCredentials(SigningKey key, std::string sha256, std::string sha1, std::string hex)
      : key_(std::move(key)),
        thumbprint_sha256_(std::move(sha256)),
        thumbprint_sha1_(std::move(sha1)),
        thumbprint_hex_(std::move(hex)) {}

  SigningKey key_;
  std::string thumbprint_sha256_;
  std::string thumbprint_sha1_;
  std::string thumbprint_hex_;
  std::optional<std::chrono::system_clock::time_point> not_after_;
};

// The signed client assertion for one token request to `audience` (the token URL).
core::Result<core::Secret> make_client_assertion(const AssertionCredentials& credentials,
                                                 std::string_view client_id,
                                                 std::string_view audience,
                                                 std::chrono::system_clock::time_point now);

}  // namespace mailoauth::oauth2
