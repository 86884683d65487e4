// What an access token says about itself, for DISPLAY only: the payload of a
// JWT decoded without checking its signature (mailoauth is not the resource
// server; Exchange, Graph and Dovecot check tokens, we only explain them). Never
// authorise anything on these claims. Microsoft says tokens of its own APIs may
// be opaque or encrypted at any time, so an opaque token is not an error
// (kind Opaque) and an encrypted one (JWE, five parts) is reported as such.
// The input is hostile (a pasted token, a file): its size is capped, base64url
// is decoded strictly, and every claim is read only if it has the expected
// type. explain_claims turns the claims into sentences about what the token can
// do for SMTP, IMAP, POP and Microsoft Graph; what mailoauth knows about
// audiences and permissions is one table in jwt_claims.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/core/error.hpp"

namespace mailoauth::oauth2 {

// Entra access tokens are 1.5-3 KB; 64 KiB leaves room for group claims.
inline constexpr std::size_t kMaxJwtSize = 64 * 1024;

enum class TokenKind {
  Opaque,     // not a JWT: only the identity server can say what it means
  Signed,     // a JWS (header.payload.signature): claims readable
  Encrypted,  // a JWE (five parts): encrypted, cannot be read
};

struct JwtClaims {
  TokenKind kind = TokenKind::Opaque;
  bool is_jwt = false;    // Signed or Encrypted
  std::string algorithm;  // header alg
  std::string type;       // header typ

  std::vector<std::string> audiences;  // aud, a string or an array
  std::vector<std::string> scopes;     // scp, space-separated (delegated tokens)
  std::vector<std::string> roles;      // roles (app-only tokens)
  std::string tenant_id;               // tid
  std::string user;                    // upn, else unique_name, preferred_username, email
  std::string user_claim;              // which of those it came from
  std::string app_id;                  // appid (v1) or azp (v2)
  std::string issuer;                  // iss
  std::string subject;                 // sub
  std::string version;                 // ver
  std::optional<std::chrono::system_clock::time_point> expires_at;  // exp
  std::optional<std::chrono::system_clock::time_point> not_before;  // nbf
  std::optional<std::chrono::system_clock::time_point> issued_at;   // iat
  // Names of the date claims above that were numbers outside 1970-2262 (what
  // system_clock holds): not converted, said so by explain_claims.
  std::vector<std::string> dates_out_of_range;
};

// Decodes `token` (surrounding whitespace ignored). An opaque token gives kind
// Opaque, not an error; an error means it claims to be a JWT (a JSON header
// with "alg") but its payload cannot be read, or the input is too large.
core::Result<JwtClaims> decode_jwt_claims(std::string_view token);

// "aud: https://outlook.office.com" lines for each claim present, in a fixed order.
std::vector<std::string> format_claims(const JwtClaims& claims);

// Sentences about what the claims mean for mail: which API the audience is,
// whether the scopes or roles allow SMTP AUTH, IMAP, POP, Graph sendMail,
// and how long the token stays valid at `now`.
std::vector<std::string> explain_claims(const JwtClaims& claims,
                                        std::chrono::system_clock::time_point now);

}  // namespace mailoauth::oauth2
