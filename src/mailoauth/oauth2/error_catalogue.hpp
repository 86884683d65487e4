// What an identity server's refusal means and what the admin should do about
// it, kept as data in one place (error_catalogue.cpp): the OAuth 2.0 `error`
// codes (RFC 6749 section 5.2, RFC 8628, OpenID Connect) and the Microsoft Entra
// AADSTS numbers that users actually meet when mail moves to OAuth2. Entra
// sends both (`error` and `error_codes`); the AADSTS entry, being more precise,
// wins. Each entry says whether retrying can help, which decides the Error
// class: Temporary entries are retried, Permanent ones carry a remedy instead.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::oauth2 {

struct CatalogueEntry {
  std::string_view key;  // "invalid_grant" or "AADSTS700082"
  core::ErrorClass error_class;
  std::string_view meaning;
  std::string_view remedy;
};

// The entry for an OAuth `error` code, if known.
const CatalogueEntry* find_oauth_error(std::string_view error);
// The entry for an Entra error number (700082 for AADSTS700082), if known.
const CatalogueEntry* find_aadsts(std::int64_t code);

// The entry a token endpoint's refusal is explained with: the first known
// AADSTS number of `error_codes` (more precise), else the `error` code's.
// token_response.cpp and `mailoauth explain` both use it.
const CatalogueEntry* find_token_error(std::string_view error,
                                       std::span<const std::int64_t> error_codes);

// Every entry, for documentation and tests.
std::span<const CatalogueEntry> oauth_catalogue();
std::span<const CatalogueEntry> aadsts_catalogue();

}  // namespace mailoauth::oauth2
