// HttpClient without a real identity server: the transport failures and their
// classes (timeout, refused, untrusted plain HTTP, bad URLs), the response cap,
// Retry-After, and what goes on the wire (form body, Basic credentials, no
// Expect: 100-continue). Real token requests are in tests/integration/oauth2.
#include "mailoauth/oauth2/http_client.hpp"

#include <gtest/gtest.h>

#include "mailoauth/oauth2/form.hpp"

#include "local_http_peer.hpp"

namespace mailoauth::oauth2 {
namespace {

using core::ErrorClass;
using testing::LocalHttpPeer;
using namespace std::chrono_literals;

HttpSettings quick() {
  HttpSettings settings;
  settings.connect_timeout = 2000ms;
  settings.total_timeout = 400ms;
  return settings;
}

TEST(HttpClientTest, SilentServerTimesOutAsTemporary) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Silent);
  HttpClient client(quick());
  HttpRequest request;
  request.url = peer.url();
  const auto start = std::chrono::steady_clock::now();
  auto response = client.perform(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), "http.timeout");
  EXPECT_EQ(response.error().error_class(), ErrorClass::Temporary);
  EXPECT_NE(response.error().message().find("no answer within 400 ms"), std::string::npos);
  EXPECT_LT(elapsed, 5s) << "the deadline was not honoured";
}

// Whether a request that is not idempotent may be repeated (Graph's sendMail):
// a timeout after the whole body went out may have been acted on; a refused
// connection cannot have been. The per-request deadline replaces the client's.
TEST(HttpClientTest, SaysWhetherAFailedRequestWasSent) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Silent);
  HttpSettings settings = quick();
  settings.total_timeout = 30s;
  HttpClient client(settings);
  HttpRequest request;
  request.url = peer.url();
  request.body = core::Secret(std::string(2000, 'm'));
  request.total_timeout = 300ms;
  auto response = client.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), "http.timeout");
  EXPECT_NE(response.error().message().find("no answer within 300 ms"), std::string::npos);
  EXPECT_TRUE(client.last_request_sent());

  int port = 0;
  {
    LocalHttpPeer closed(LocalHttpPeer::Mode::Answer, "");
    port = closed.port();
  }
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/token";
  response = client.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), "http.connect");
  EXPECT_FALSE(client.last_request_sent());
}

TEST(HttpClientTest, RefusedConnectionIsTemporary) {
  int port = 0;
  {
    LocalHttpPeer closed(LocalHttpPeer::Mode::Answer, "");
    port = closed.port();
  }
  HttpClient client(quick());
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/token";
  auto response = client.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().error_class(), ErrorClass::Temporary);
  EXPECT_EQ(response.error().code(), "http.connect");
}

TEST(HttpClientTest, PlainHttpToAnotherHostIsRefusedBeforeConnecting) {
  HttpClient client(quick());
  HttpRequest request;
  request.url = "http://login.example.com/token";
  request.body = form_encode({{"client_secret", "s3cret"}});
  auto response = client.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), "http.insecure");
  EXPECT_EQ(response.error().error_class(), ErrorClass::Config);
}

TEST(HttpClientTest, BadUrlsAreConfigErrors) {
  HttpClient client(quick());
  for (const char* url : {"not a url", "ftp://127.0.0.1/token", "file:///etc/passwd", ""}) {
    HttpRequest request;
    request.url = url;
    auto response = client.perform(request);
    ASSERT_FALSE(response.has_value()) << url;
    EXPECT_EQ(response.error().error_class(), ErrorClass::Config) << url;
  }
}

TEST(HttpClientTest, ReadsStatusBodyContentTypeAndRetryAfter) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n"
                     "Retry-After: 17\r\nContent-Length: 27\r\nConnection: close\r\n\r\n"
                     "{\"error\":\"slow_down_there\"}");
  HttpClient client(quick());
  HttpRequest request;
  request.url = peer.url();
  request.body = form_encode({{"grant_type", "client_credentials"}, {"scope", "a b"}});
  request.authorization = core::Secret("Basic Y2xpZW50LTE6cGE6c3M=");
  auto response = client.perform(request);
  ASSERT_TRUE(response.has_value()) << response.error().message();
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->body, "{\"error\":\"slow_down_there\"}");
  EXPECT_EQ(response->content_type, "application/json");
  ASSERT_TRUE(response->retry_after.has_value());
  EXPECT_EQ(*response->retry_after, 17s);
  EXPECT_EQ(response->header("retry-after"), "17");
  EXPECT_EQ(response->header("CONTENT-LENGTH"), "27");
  EXPECT_EQ(response->header("request-id"), "");
  EXPECT_TRUE(client.last_request_sent());

  const std::string& sent = peer.received();
  EXPECT_EQ(sent.rfind("POST /token HTTP/1.1\r\n", 0), 0u) << sent;
  EXPECT_NE(sent.find("Content-Type: application/x-www-form-urlencoded\r\n"), std::string::npos);
  EXPECT_NE(sent.find("Authorization: Basic Y2xpZW50LTE6cGE6c3M=\r\n"), std::string::npos);
  EXPECT_EQ(sent.find("Expect:"), std::string::npos);
  EXPECT_TRUE(sent.ends_with("\r\n\r\ngrant_type=client_credentials&scope=a+b")) << sent;
}

TEST(HttpClientTest, OversizedAnswerIsCut) {
  const std::string body(5000, 'x');
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n" + body);
  HttpSettings settings = quick();
  settings.max_response_size = 1000;
  HttpClient client(settings);
  HttpRequest request;
  request.url = peer.url();
  auto response = client.perform(request);
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code(), "http.too_large");
  EXPECT_NE(response.error().message().find("larger than 1000 bytes"), std::string::npos);
}

// The trace of one request with a client secret in the form (and an
// Authorization value when given); the answer's body in `body`.
std::string traced_dialogue(const LocalHttpPeer& peer, const std::string& authorization,
                            std::string* body = nullptr) {
  core::MemorySink sink;
  core::Logger logger(core::LogLevel::Trace, core::LogFormat::Console, &sink);
  HttpClient client(quick(), &logger);
  HttpRequest request;
  request.url = peer.url();
  request.body = form_encode({{"client_id", "c1"}, {"client_secret", "SECRET-VALUE"}});
  if (!authorization.empty()) request.authorization = core::Secret(authorization);
  auto response = client.perform(request);
  EXPECT_TRUE(response.has_value()) << response.error().message();
  if (response && body != nullptr) *body = response->body;
  return sink.text();
}

TEST(HttpClientTest, TraceShowsTheDialogueWithSecretsRedacted) {
  const std::string body = "{\"access_token\":\"tok-SECRET\",\"token_type\":\"x\"}";
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body);
  const std::string log = traced_dialogue(peer, "Bearer BEARER-SECRET");
  EXPECT_NE(log.find("POST /token HTTP/1.1"), std::string::npos) << log;
  EXPECT_NE(log.find("client_id=c1"), std::string::npos) << log;
  EXPECT_EQ(log.find("SECRET-VALUE"), std::string::npos) << log;
  EXPECT_EQ(log.find("BEARER-SECRET"), std::string::npos) << log;
  EXPECT_EQ(log.find("tok-SECRET"), std::string::npos) << log;
  EXPECT_NE(log.find("Authorization: Bearer <redacted 13 bytes>"), std::string::npos) << log;
}

// A token response that arrives in two TCP segments, split inside the token:
// each piece alone does not look like a credential, so redacting per chunk
// printed the token's tail. The trace must hold no byte of it.
TEST(HttpClientTest, TraceRedactsATokenSplitAcrossSegments) {
  const std::string token = "HEADPART0123456789TAILPART9876543210";
  const std::string body =
      "{\"access_token\":\"" + token + "\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
  const std::size_t split = body.find("TAILPART");
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
                         body.substr(0, split) + std::string(LocalHttpPeer::kPause) +
                         body.substr(split));
  std::string received;
  const std::string log = traced_dialogue(peer, "", &received);
  EXPECT_EQ(received, body);
  EXPECT_EQ(log.find("HEADPART"), std::string::npos) << log;
  EXPECT_EQ(log.find("TAILPART"), std::string::npos) << log;
  EXPECT_EQ(log.find("0123456789"), std::string::npos) << log;
  EXPECT_NE(log.find("token_type"), std::string::npos) << "the body is not traced at all: " << log;
}

TEST(HttpClientTest, VerificationOffIsLoud) {
  LocalHttpPeer peer(LocalHttpPeer::Mode::Answer,
                     "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
  core::MemorySink sink;
  core::Logger logger(core::LogLevel::Warn, core::LogFormat::Console, &sink);
  HttpSettings settings = quick();
  settings.verify_tls = false;
  HttpClient client(settings, &logger);
  HttpRequest request;
  request.url = peer.url();
  ASSERT_TRUE(client.perform(request).has_value());
  EXPECT_NE(sink.text().find("TLS certificate verification is OFF"), std::string::npos);
}

TEST(RetryAfterTest, SecondsAndDates) {
  const auto now = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14 22:13:20Z
  EXPECT_EQ(parse_retry_after("120", now), 120s);
  EXPECT_EQ(parse_retry_after("0", now), 0s);
  EXPECT_EQ(parse_retry_after("999999999", now), std::chrono::seconds(24 * 3600));
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:14:20 GMT", now), 60s);
  EXPECT_EQ(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now), 0s);
  EXPECT_FALSE(parse_retry_after("", now).has_value());
  EXPECT_FALSE(parse_retry_after("-5", now).has_value());
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
}

TEST(HttpClientTest, LoopbackHosts) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_TRUE(is_loopback_host("[::1]"));
  EXPECT_FALSE(is_loopback_host("127.0.0.1.evil.example"));
  EXPECT_FALSE(is_loopback_host("login.microsoftonline.com"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
}

TEST(FormTest, EscapesLikeABrowser) {
  EXPECT_EQ(form_escape("a b&c=d/é~"), "a+b%26c%3Dd%2F%C3%A9~");
  EXPECT_EQ(form_encode({{"scope", "https://outlook.office365.com/.default"}, {"x", ""}}).reveal(),
            "scope=https%3A%2F%2Foutlook.office365.com%2F.default&x=");
}

}  // namespace
}  // namespace mailoauth::oauth2
