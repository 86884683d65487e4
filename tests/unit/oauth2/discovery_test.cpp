// Server metadata: a real-shaped OIDC document parsed, the issuer compared
// exactly (a different one is refused: mix-up defence), endpoints that are
// not https (or loopback http) refused, RFC 8414's well-known URL built with
// the issuer's path, and the fetch falling back from openid-configuration to
// oauth-authorization-server on a 404 (LocalHttpPeer).
#include "mailoauth/oauth2/discovery.hpp"

#include <gtest/gtest.h>

#include "local_http_peer.hpp"

namespace mailoauth::oauth2 {
namespace {

using testing::LocalHttpPeer;

constexpr std::string_view kGoogleLike = R"({
  "issuer": "https://accounts.google.com",
  "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
  "device_authorization_endpoint": "https://oauth2.googleapis.com/device/code",
  "token_endpoint": "https://oauth2.googleapis.com/token",
  "revocation_endpoint": "https://oauth2.googleapis.com/revoke",
  "response_types_supported": ["code", "token", "id_token"],
  "code_challenge_methods_supported": ["plain", "S256"]
})";

TEST(DiscoveryParseTest, ReadsTheEndpoints) {
  auto metadata = parse_server_metadata(kGoogleLike, "https://accounts.google.com");
  ASSERT_TRUE(metadata.has_value()) << metadata.error().describe();
  EXPECT_EQ(metadata->authorization_endpoint, "https://accounts.google.com/o/oauth2/v2/auth");
  EXPECT_EQ(metadata->token_endpoint, "https://oauth2.googleapis.com/token");
  EXPECT_EQ(metadata->device_authorization_endpoint, "https://oauth2.googleapis.com/device/code");
  EXPECT_EQ(metadata->revocation_endpoint, "https://oauth2.googleapis.com/revoke");
  EXPECT_EQ(metadata->introspection_endpoint, "");
  EXPECT_TRUE(metadata->lists_s256());
  EXPECT_FALSE(metadata->authorization_response_iss_parameter_supported);
}

TEST(DiscoveryParseTest, AnotherIssuerIsRefused) {
  for (const char* configured :
       {"https://accounts.google.com/", "https://evil.example", "https://ACCOUNTS.google.com"}) {
    auto metadata = parse_server_metadata(kGoogleLike, configured);
    ASSERT_FALSE(metadata.has_value()) << configured;
    EXPECT_EQ(metadata.error().code(), "discovery.issuer_mismatch");
    EXPECT_EQ(metadata.error().error_class(), core::ErrorClass::Permanent);
    EXPECT_NE(metadata.error().message().find("https://accounts.google.com"), std::string::npos);
    EXPECT_FALSE(metadata.error().remedy().empty());
  }
}

TEST(DiscoveryParseTest, RefusesBadDocuments) {
  const std::string_view issuer = "https://id.example";
  const auto code = [&](std::string_view body) {
    auto metadata = parse_server_metadata(body, issuer);
    return metadata ? std::string("accepted") : metadata.error().code();
  };
  EXPECT_EQ(code("<html>portal</html>"), "discovery.not_json");
  EXPECT_EQ(code("[]"), "discovery.not_json");
  EXPECT_EQ(code(R"({"token_endpoint":"https://id.example/t"})"), "discovery.no_issuer");
  EXPECT_EQ(code(R"({"issuer":"https://id.example"})"), "discovery.no_token_endpoint");
  EXPECT_EQ(code(R"({"issuer":"https://id.example","token_endpoint":"http://id.example/t"})"),
            "discovery.bad_metadata");
  EXPECT_EQ(code(R"({"issuer":"https://id.example","token_endpoint":"https://id.example/t#x"})"),
            "discovery.bad_metadata");
  EXPECT_EQ(code(R"({"issuer":"https://id.example","token_endpoint":7})"),
            "discovery.bad_metadata");
  const std::string base =
      R"({"issuer":"https://id.example","token_endpoint":"https://id.example/t",)";
  EXPECT_EQ(code(base + R"("revocation_endpoint":"javascript:alert%281%29"})"),
            "discovery.bad_metadata");
  // Wrongly typed optional members are ignored, not fatal.
  EXPECT_EQ(code(base + R"("code_challenge_methods_supported":"S256",)" +
                 R"("authorization_response_iss_parameter_supported":"yes"})"),
            "accepted");
}

TEST(DiscoveryParseTest, LoopbackHttpIsAllowedAndIssParameterRead) {
  auto metadata = parse_server_metadata(
      R"({"issuer":"http://127.0.0.1:9000","token_endpoint":"http://127.0.0.1:9000/token",
          "authorization_response_iss_parameter_supported":true})",
      "http://127.0.0.1:9000");
  ASSERT_TRUE(metadata.has_value()) << metadata.error().describe();
  EXPECT_TRUE(metadata->authorization_response_iss_parameter_supported);
  EXPECT_FALSE(metadata->lists_s256());
}

TEST(DiscoveryUrlTest, WellKnownUrls) {
  EXPECT_EQ(
      metadata_urls("https://id.example"),
      (std::vector<std::string>{"https://id.example/.well-known/openid-configuration",
                                "https://id.example/.well-known/oauth-authorization-server"}));
  EXPECT_EQ(metadata_urls("https://id.example/tenant/v2.0/"),
            (std::vector<std::string>{
                "https://id.example/tenant/v2.0/.well-known/openid-configuration",
                "https://id.example/.well-known/oauth-authorization-server/tenant/v2.0"}));
}

std::string http(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

// The peer's URL is known only once it listens, after its answers are fixed,
// so the documents name another issuer: reaching the issuer check proves the
// document was fetched and parsed (the stack test covers a matching one).
constexpr const char* kOtherIssuer =
    R"({"issuer":"http://127.0.0.1:1","token_endpoint":"http://127.0.0.1:1/t"})";

TEST(DiscoveryFetchTest, FallsBackToRfc8414OnA404) {
  LocalHttpPeer peer(
      LocalHttpPeer::Mode::Answer,
      std::vector<std::string>{http(404, R"({"error":"not found"})"), http(200, kOtherIssuer)});
  HttpClient client;
  auto metadata = discover_server(client, peer.url(""));
  ASSERT_FALSE(metadata.has_value());
  EXPECT_EQ(metadata.error().code(), "discovery.issuer_mismatch");
  EXPECT_NE(metadata.error().message().find("oauth-authorization-server"), std::string::npos);
  EXPECT_NE(peer.received().find("GET /.well-known/openid-configuration HTTP/1.1"),
            std::string::npos);
  EXPECT_NE(peer.received().find("GET /.well-known/oauth-authorization-server HTTP/1.1"),
            std::string::npos)
      << peer.received();
}

TEST(DiscoveryFetchTest, TheFirstDocumentIsUsedWhenThere) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     std::vector<std::string>{http(200, kOtherIssuer), http(200, kOtherIssuer)});
  HttpClient client;
  auto metadata = discover_server(client, peer.url(""));
  ASSERT_FALSE(metadata.has_value());
  EXPECT_EQ(metadata.error().code(), "discovery.issuer_mismatch");
  EXPECT_NE(metadata.error().message().find("openid-configuration"), std::string::npos);
  EXPECT_EQ(peer.received().find("oauth-authorization-server"), std::string::npos);
}

TEST(DiscoveryFetchTest, NoDocumentAnywhereIsAConfigError) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     std::vector<std::string>{http(404, "{}"), http(404, "{}")});
  HttpClient client;
  auto metadata = discover_server(client, peer.url(""));
  ASSERT_FALSE(metadata.has_value());
  EXPECT_EQ(metadata.error().code(), "discovery.not_found");
  EXPECT_EQ(metadata.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(metadata.error().message().find("HTTP 404"), std::string::npos);
}

TEST(DiscoveryFetchTest, AServerErrorIsTemporary) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer, http(503, "{}"));
  HttpClient client;
  auto metadata = discover_server(client, peer.url(""));
  ASSERT_FALSE(metadata.has_value());
  EXPECT_EQ(metadata.error().code(), "discovery.unavailable");
  EXPECT_EQ(metadata.error().error_class(), core::ErrorClass::Temporary);
}

TEST(DiscoveryFetchTest, RefusesANonHttpsIssuer) {
  HttpClient client;
  auto metadata = discover_server(client, "http://id.example");
  ASSERT_FALSE(metadata.has_value());
  EXPECT_EQ(metadata.error().code(), "discovery.bad_issuer");
  EXPECT_EQ(metadata.error().error_class(), core::ErrorClass::Config);
}

}  // namespace
}  // namespace mailoauth::oauth2
