// The JWT bearer grant (RFC 7523 section 2.1) with a Google service account:
// how a Google Workspace domain lets a program read or send mail as its users
// without any of them signing in (domain-wide delegation). The program signs
// a JWT with the service account's key (iss = the account's client_email,
// scope, aud = the key file's token_uri, iat, exp at most an hour later,
// sub = the user to act as) and trades it for an access token; there is no
// refresh token, the program signs a new assertion when the token runs out.
// The key comes from the JSON key file Google hands out ("type":
// "service_account"); other Google JSON files (an OAuth client's, gcloud's
// user credentials) are refused by name, because people mix them up.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "mailoauth/core/clock.hpp"
#include "mailoauth/oauth2/jwt_signing.hpp"
#include "mailoauth/oauth2/token_request.hpp"

namespace mailoauth::oauth2 {

inline constexpr std::string_view kJwtBearerGrantType =
    "urn:ietf:params:oauth:grant-type:jwt-bearer";
inline constexpr std::string_view kGoogleTokenUrl = "https://oauth2.googleapis.com/token";
// Google refuses assertions that live longer.
inline constexpr std::chrono::seconds kMaxJwtBearerLifetime{3600};

struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_id;  // sent as the header's kid
  std::string token_uri;       // kGoogleTokenUrl when the file has none
  std::shared_ptr<const SigningKey> key;
};

// The key from a JSON key file's text; `origin` names it in errors.
core::Result<ServiceAccountKey> parse_service_account_key(const core::Secret& json,
                                                          std::string_view origin);
core::Result<ServiceAccountKey> load_service_account_key(const std::filesystem::path& path);

struct JwtBearerGrant {
  ServiceAccountKey account;
  std::vector<std::string> scopes;  // e.g. https://mail.google.com/
  std::string subject;              // the user to act as; empty: the service account itself
  std::chrono::seconds lifetime = kMaxJwtBearerLifetime;
};

// The signed assertion, issued at `now`.
core::Result<core::Secret> service_account_assertion(const JwtBearerGrant& grant,
                                                     std::chrono::system_clock::time_point now);

// The HTTP request for one attempt (exposed so tests can check it field by field).
core::Result<HttpRequest> jwt_bearer_request(const JwtBearerGrant& grant,
                                             std::chrono::system_clock::time_point now);

// A fresh assertion per attempt, dated by `clock`.
core::Result<TokenResponse> request_jwt_bearer(HttpClient& http, const JwtBearerGrant& grant,
                                               const RetryPolicy& policy, Sleeper& sleeper,
                                               const core::Clock& clock = core::system_clock());

}  // namespace mailoauth::oauth2
