// The loopback redirect of a native app's sign-in (RFC 8252 section 7.3): a
// listener on 127.0.0.1 only (never a wildcard address), on a random port
// unless one is asked for, that waits — with a deadline — for the browser to
// bring back the redirect, answers it with a short page, and hands the
// request target to the caller. Up to 8 connections are served side by side,
// so a browser's speculative connection that sends nothing cannot hold up
// the redirect; requests for other paths (/favicon.ico) get a 404 and the
// wait goes on; a request that is garbage, too large or too slow (10 s per
// connection) is dropped. It serves one person's browser for a few
// seconds, so plain POSIX sockets and poll() are enough, and keeping Asio
// out keeps this file cheap to compile. parse_loopback_request is the pure
// parser, fuzzed on its own.
//
// The redirect URI's path is the account's choice: many identity servers
// (Keycloak, Okta, generic ones) register `http://127.0.0.1/callback` and
// refuse `/`. Only the path and the host's spelling (127.0.0.1 or localhost)
// come from the account's `redirect_uri`; the port stays free (RFC 8252
// section 7.3: servers must accept any port on a loopback redirect), unless
// the URI or `redirect_port` names one.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "mailoauth/core/error.hpp"

namespace mailoauth::oauth2 {

inline constexpr std::size_t kMaxLoopbackRequest = 8 * 1024;

// nullopt: the head is not complete yet; a string: the request target of a
// GET; an error: not an HTTP GET we accept (or larger than `limit`).
core::Result<std::optional<std::string>> parse_loopback_request(
    std::string_view bytes, std::size_t limit = kMaxLoopbackRequest);

// Where the browser comes back: http://HOST[:PORT]PATH.
struct LoopbackRedirect {
  std::string host = "127.0.0.1";  // or "localhost"; the listener binds 127.0.0.1 either way
  int port = 0;                    // 0: the kernel picks one
  std::string path = "/";
};

// An account's `redirect_uri`: http:// with host 127.0.0.1 or localhost, an
// optional port, a path without query or fragment. Config error otherwise.
core::Result<LoopbackRedirect> parse_loopback_redirect_uri(std::string_view uri);

class LoopbackListener {
 public:
  // port 0: the kernel picks one.
  static core::Result<LoopbackListener> open(int port = 0);
  static core::Result<LoopbackListener> open(const LoopbackRedirect& redirect);
  LoopbackListener(LoopbackListener&& other) noexcept;
  LoopbackListener& operator=(LoopbackListener&& other) noexcept;
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;
  ~LoopbackListener();

  int port() const { return port_; }
  // "http://127.0.0.1:PORT/" (the host and path of the LoopbackRedirect).
  std::string redirect_uri() const;

  // The target of the first GET whose path is the redirect's and that carries a query,
  // within `timeout`. The browser is answered with a page saying to go back
  // to the terminal.
  core::Result<std::string> wait_for_redirect(std::chrono::milliseconds timeout);

 private:
  LoopbackListener(int fd, int port) : fd_(fd), port_(port) {}
  int fd_ = -1;
  int port_ = 0;
  std::string host_ = "127.0.0.1";
  std::string path_ = "/";
};

}  // namespace mailoauth::oauth2
