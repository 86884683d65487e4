// Authorization server metadata: OpenID Connect Discovery 1.0 and RFC 8414.
// From an issuer URL, fetch {issuer}/.well-known/openid-configuration and, when
// the server has none (a 4xx), RFC 8414's /.well-known/oauth-authorization-server
// (inserted before the issuer's path, as that RFC says); then read the
// endpoints mailoauth uses. The `issuer` in the document must equal the
// configured issuer exactly, or the document is refused: otherwise one server
// could send a user's codes and tokens to another (the mix-up attack). Note
// Microsoft's multi-tenant metadata (common, organizations) names a templated
// "{tenantid}" issuer, so Microsoft presets use known endpoints instead.
// Parsing is a pure function apart from the fetch, with a fuzz target.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mailoauth/oauth2/http_client.hpp"

namespace mailoauth::oauth2 {

struct ServerMetadata {
  std::string issuer;
  std::string authorization_endpoint;         // may be empty (no browser flows)
  std::string token_endpoint;                 // always set
  std::string device_authorization_endpoint;  // empty when not offered
  std::string revocation_endpoint;            // empty when not offered
  std::string introspection_endpoint;         // empty when not offered
  std::vector<std::string> code_challenge_methods_supported;
  bool authorization_response_iss_parameter_supported = false;  // RFC 9207

  // S256 is listed. An empty list says nothing: RFC 8414 lets servers omit it.
  bool lists_s256() const;
};

// The document's body (a JSON object). Every endpoint must be https:// (or
// http:// to loopback) without a fragment. Permanent errors "discovery.*".
core::Result<ServerMetadata> parse_server_metadata(std::string_view body,
                                                   std::string_view expected_issuer);

// The two well-known URLs for `issuer`, in the order they are tried.
std::vector<std::string> metadata_urls(std::string_view issuer);

core::Result<ServerMetadata> discover_server(HttpClient& http, const std::string& issuer);

}  // namespace mailoauth::oauth2
