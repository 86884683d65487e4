// PKCE against RFC 7636 appendix B byte for byte; the authorization URL; the
// redirect's code, and every way a redirect is refused (state not ours, the
// provider's error, another issuer, bad escapes, NUL/CR/LF); the loopback
// request parser's limits; and the listener on a real socket: a favicon
// request first, the redirect next, a timeout, a port already taken.
#include "mailoauth/oauth2/authorization_code.hpp"

#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailoauth/oauth2/loopback_listener.hpp"
#include "mailoauth/oauth2/pkce.hpp"

namespace mailoauth::oauth2 {
namespace {

using namespace std::chrono_literals;

TEST(PkceTest, Rfc7636AppendixB) {
  EXPECT_EQ(code_challenge_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(PkceTest, VerifierAndStateAreRandomAndWellFormed) {
  const core::Secret a = make_code_verifier();
  const core::Secret b = make_code_verifier();
  EXPECT_EQ(a.size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_FALSE(a.equals(b));
  EXPECT_EQ(
      std::string(a.reveal())
          .find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_EQ(make_state().size(), 22u);
  EXPECT_NE(make_state(), make_state());
}

TEST(AuthorizationCodeTest, UrlCarriesEveryParameterEscaped) {
  AuthorizationRequest request;
  request.authorize_url = "https://accounts.google.com/o/oauth2/auth";
  request.client_id = "id.apps";
  request.redirect_uri = "http://127.0.0.1:5000/";
  request.scopes = {"https://mail.google.com/"};
  request.state = "st";
  request.code_challenge = "ch";
  request.login_hint = "me+x@gmail.com";
  request.extra_parameters = {{"access_type", "offline"}, {"prompt", "consent"}};
  EXPECT_EQ(authorization_url(request),
            "https://accounts.google.com/o/oauth2/auth?response_type=code&client_id=id.apps"
            "&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2F&scope=https%3A%2F%2Fmail.google.com%2F"
            "&state=st&code_challenge=ch&code_challenge_method=S256&login_hint=me%2Bx%40gmail.com"
            "&access_type=offline&prompt=consent");
}

TEST(AuthorizationCodeTest, CodeFromAGoodRedirect) {
  auto code =
      code_from_redirect("/?code=abc%2Fdef&state=S1&iss=https%3A%2F%2Fidp", "S1", "https://idp");
  ASSERT_TRUE(code.has_value()) << code.error().describe();
  EXPECT_EQ(code->reveal(), "abc/def");
}

TEST(AuthorizationCodeTest, RedirectsThatAreRefused) {
  const auto code_of = [](std::string_view target) {
    auto code = code_from_redirect(target, "S1", "https://idp");
    return code ? std::string("accepted") : code.error().code();
  };
  EXPECT_EQ(code_of("/?code=x&state=S2"), "oauth2.state_mismatch");
  EXPECT_EQ(code_of("/?code=x"), "oauth2.state_mismatch");
  EXPECT_EQ(code_of("/?code=x&state=S1&state=S1"), "oauth2.state_mismatch");
  EXPECT_EQ(code_of("/?code=x&state=S1&iss=https%3A%2F%2Fevil"), "oauth2.issuer_mismatch");
  EXPECT_EQ(code_of("/?state=S1"), "oauth2.no_code");
  EXPECT_EQ(code_of("/?state=S1&code=a%0d%0ab"), "oauth2.bad_redirect");
  EXPECT_EQ(code_of("/?state=S1&code=a%2"), "oauth2.bad_redirect");
  EXPECT_EQ(code_of("/?state=S1&code=a%zz"), "oauth2.bad_redirect");
  auto denied = code_from_redirect(
      "/?error=access_denied&error_description=AADSTS65004%3A+User+declined&state=S1", "S1");
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error().code(), "oauth2.access_denied");
  EXPECT_NE(denied.error().message().find("AADSTS65004: User declined"), std::string::npos);
  EXPECT_NE(denied.error().remedy().find("token login"), std::string::npos);
}

TEST(LoopbackRequestTest, ParsesTheTargetOfACompleteGet) {
  EXPECT_EQ(parse_loopback_request("GET /?code=1 HTTP/1.1\r\nHost: x\r\n\r\n")->value(),
            "/?code=1");
  EXPECT_FALSE(parse_loopback_request("GET /?code=1 HTTP/1.1\r\nHost")->has_value());
  EXPECT_FALSE(parse_loopback_request("POST / HTTP/1.1\r\n\r\n").has_value());
  EXPECT_FALSE(parse_loopback_request("PUT ").has_value());
  EXPECT_FALSE(parse_loopback_request("GET http://x/ HTTP/1.1\r\n\r\n").has_value());
  EXPECT_FALSE(parse_loopback_request("GET / SPDY\r\n\r\n").has_value());
  EXPECT_FALSE(parse_loopback_request("GET /\x01 HTTP/1.1\r\n\r\n").has_value());
  EXPECT_FALSE(parse_loopback_request("GET / HTTP/1.1\r\n" + std::string(9000, 'a')).has_value());
}

// A browser stand-in: sends `request` to the port and returns the answer.
std::string fetch(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    timeval timeout{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, n);
  }
  ::close(fd);
  return answer;
}

TEST(LoopbackListenerTest, FaviconIsAnswered404ThenTheRedirectIsReturned) {
  auto listener = LoopbackListener::open();
  ASSERT_TRUE(listener.has_value()) << listener.error().describe();
  EXPECT_EQ(listener->redirect_uri(), fmt::format("http://127.0.0.1:{}/", listener->port()));
  std::string favicon, redirect, garbage;
  std::thread browser([&, port = listener->port()] {
    garbage = fetch(port, "HELLO\r\n\r\n");
    favicon = fetch(port, "GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    redirect = fetch(port, "GET /?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
  auto target = listener->wait_for_redirect(10s);
  browser.join();
  ASSERT_TRUE(target.has_value()) << target.error().describe();
  EXPECT_EQ(*target, "/?code=c&state=s");
  EXPECT_TRUE(garbage.empty());
  EXPECT_TRUE(favicon.starts_with("HTTP/1.1 404")) << favicon;
  EXPECT_TRUE(redirect.starts_with("HTTP/1.1 200")) << redirect;
  EXPECT_NE(redirect.find("return to the terminal"), std::string::npos);
}

// Identity servers that register a path (Keycloak, Okta: http://127.0.0.1/callback)
// refuse "/": the account's redirect_uri gives the path; the port stays free.
TEST(LoopbackListenerTest, ARegisteredPathIsTheOneListenedOn) {
  auto redirect = parse_loopback_redirect_uri("http://127.0.0.1/callback");
  ASSERT_TRUE(redirect.has_value()) << redirect.error().describe();
  EXPECT_EQ(redirect->path, "/callback");
  EXPECT_EQ(redirect->port, 0) << "RFC 8252: the port is chosen at sign-in";
  auto listener = LoopbackListener::open(*redirect);
  ASSERT_TRUE(listener.has_value()) << listener.error().describe();
  EXPECT_EQ(listener->redirect_uri(),
            fmt::format("http://127.0.0.1:{}/callback", listener->port()));
  std::string root, redirected;
  std::thread browser([&, port = listener->port()] {
    root = fetch(port, "GET /?code=wrong&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    redirected = fetch(port, "GET /callback?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
  auto target = listener->wait_for_redirect(10s);
  browser.join();
  ASSERT_TRUE(target.has_value()) << target.error().describe();
  EXPECT_EQ(*target, "/callback?code=c&state=s");
  EXPECT_TRUE(root.starts_with("HTTP/1.1 404")) << root;
  EXPECT_TRUE(redirected.starts_with("HTTP/1.1 200")) << redirected;
}

TEST(LoopbackListenerTest, RedirectUrisAreLoopbackHttpWithAPlainPath) {
  auto localhost = parse_loopback_redirect_uri("http://localhost:8400/oauth2/cb");
  ASSERT_TRUE(localhost.has_value());
  EXPECT_EQ(localhost->host, "localhost");
  EXPECT_EQ(localhost->port, 8400);
  EXPECT_EQ(localhost->path, "/oauth2/cb");
  EXPECT_EQ(parse_loopback_redirect_uri("http://127.0.0.1")->path, "/");
  for (const char* bad :
       {"https://127.0.0.1/cb", "http://example.com/cb", "http://[::1]/cb",
        "http://127.0.0.1:99999/cb", "http://127.0.0.1:/cb", "http://127.0.0.1/cb?x=1",
        "http://127.0.0.1/cb#f", "http://127.0.0.1/c b"}) {
    auto refused = parse_loopback_redirect_uri(bad);
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().error_class(), core::ErrorClass::Config);
  }
}

TEST(LoopbackListenerTest, AnIdlePreconnectDoesNotHoldUpTheRedirect) {
  auto listener = LoopbackListener::open();
  ASSERT_TRUE(listener.has_value());
  const int port = listener->port();
  // A connection that says nothing, as browsers open speculatively.
  const int idle = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  ASSERT_EQ(::connect(idle, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  std::string redirect;
  std::thread browser([&] {
    std::this_thread::sleep_for(100ms);  // the listener has accepted the idle one
    redirect = fetch(port, "GET /?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  });
  const auto started = std::chrono::steady_clock::now();
  auto target = listener->wait_for_redirect(20s);
  const auto waited = std::chrono::steady_clock::now() - started;
  browser.join();
  ::close(idle);
  ASSERT_TRUE(target.has_value()) << target.error().describe();
  EXPECT_EQ(*target, "/?code=c&state=s");
  EXPECT_LT(waited, 5s) << "the idle connection held the redirect back";
}

TEST(LoopbackListenerTest, NoBrowserTimesOutWithARemedy) {
  auto listener = LoopbackListener::open();
  ASSERT_TRUE(listener.has_value());
  const auto started = std::chrono::steady_clock::now();
  auto target = listener->wait_for_redirect(300ms);
  ASSERT_FALSE(target.has_value());
  EXPECT_EQ(target.error().code(), "loopback.timeout");
  EXPECT_NE(target.error().remedy().find("device flow"), std::string::npos);
  EXPECT_EQ(target.error().remedy().find("--"), std::string::npos) << "a flag is the CLI's word";
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s) << "the deadline was not kept";
}

TEST(LoopbackListenerTest, PortInUseIsAConfigErrorSayingPickAnother) {
  auto first = LoopbackListener::open();
  ASSERT_TRUE(first.has_value());
  auto second = LoopbackListener::open(first->port());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().error_class(), core::ErrorClass::Config);
  EXPECT_NE(second.error().remedy().find("pick another"), std::string::npos);
  EXPECT_EQ(second.error().remedy().find("--"), std::string::npos) << "a flag is the CLI's word";
}

}  // namespace
}  // namespace mailoauth::oauth2
