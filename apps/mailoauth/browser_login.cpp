// The browser sign-in of `token login` and `token revoke`. Sign-in:
// authorization code with PKCE (S256) and a random state, the redirect caught
// by a listener on 127.0.0.1 (random port unless --port), the URL printed on
// stderr for a person to open (and handed to a browser when this machine has
// one: $BROWSER, or xdg-open under a graphical session; never blocking), the
// code exchanged for tokens. Revocation: RFC 7009 where the provider has an
// endpoint, and an explanation where it has none (Microsoft).
#include <cstdlib>

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mailoauth/oauth2/authorization_code.hpp"
#include "mailoauth/oauth2/loopback_listener.hpp"
#include "mailoauth/oauth2/pkce.hpp"
#include "mailoauth/oauth2/revocation.hpp"

#include "app_context.hpp"

extern char** environ;

namespace mailoauth::app {

namespace {

// Starts a browser on `url` in the background (stdout/stderr to /dev/null), or
// does nothing when there is none to start. Never waits for it.
bool open_browser(const std::string& url) {
  const char* browser = std::getenv("BROWSER");
  std::string program;
  if (browser != nullptr && *browser != '\0') {
    program = browser;
  } else if (std::getenv("DISPLAY") != nullptr || std::getenv("WAYLAND_DISPLAY") != nullptr) {
    program = "xdg-open";
  } else {
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID);
  std::string url_copy = url;
  char* argv[] = {program.data(), url_copy.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, program.c_str(), &actions, &attributes, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return spawned == 0;
}

}  // namespace

core::Result<oauth2::TokenResponse> browser_login(AppContext& context,
                                                  const oauth2::Account& account,
                                                  const oauth2::Endpoints& endpoints,
                                                  const oauth2::ClientIdentity& client,
                                                  const TokenLoginOptions& options) {
  if (endpoints.authorize_url.empty()) {
    return core::fail(core::ErrorClass::Config, "token.no_authorize_url",
                      fmt::format("account {} has no authorization endpoint", account.name),
                      "set authorize_url, or sign in with --device");
  }
  const int port = options.port >= 0 ? options.port : account.redirect_port;
  auto listener = oauth2::LoopbackListener::open(
      oauth2::LoopbackRedirect{account.redirect_host, port, account.redirect_path});
  if (!listener) {
    core::Error error = std::move(listener.error());
    error.with_remedy(error.remedy() + " (--port PORT; without --port: a random one)");
    return core::fail(std::move(error));
  }
  const core::Secret verifier = oauth2::make_code_verifier();
  oauth2::AuthorizationRequest request;
  request.authorize_url = endpoints.authorize_url;
  request.client_id = account.client_id;
  request.redirect_uri = listener->redirect_uri();
  request.scopes = account.scopes;
  request.state = oauth2::make_state();
  request.code_challenge = oauth2::code_challenge_s256(verifier.reveal());
  request.login_hint = account.login_hint;
  request.extra_parameters = endpoints.extra_authorize_parameters;
  const std::string url = oauth2::authorization_url(request);

  fmt::print(stderr, "Open this URL in a browser to sign in as {}:\n\n  {}\n\n",
             account.login_hint.empty() ? std::string("the account's user") : account.login_hint,
             url);
  if (!options.no_browser && open_browser(url)) {
    fmt::print(stderr, "(a browser was started for you)\n");
  }
  fmt::print(stderr, "Waiting up to {} s for the sign-in on {} ...\n", options.timeout_seconds,
             listener->redirect_uri());
  std::fflush(stderr);
  auto target = listener->wait_for_redirect(std::chrono::seconds(options.timeout_seconds));
  if (!target) {
    core::Error error = std::move(target.error());
    if (error.code() == "loopback.timeout") {
      error.with_remedy(
          "run `mailoauth token login` again and finish in the browser, or add --device on a "
          "machine without one");
    }
    return core::fail(std::move(error));
  }
  auto code = oauth2::code_from_redirect(*target, request.state, account.issuer);
  if (!code) return core::fail(code.error());
  auto engine = context.engine(account);
  if (!engine) return core::fail(engine.error());
  return oauth2::exchange_code(context.http(account), endpoints.token_url, client, *code,
                               request.redirect_uri, verifier, (*engine)->policy(),
                               (*engine)->sleeper());
}

int token_revoke(const GlobalOptions& global, const TokenRevokeOptions& options) {
  AppContext context(global);
  auto found = context.account(options.account);
  if (!found) return context.report(found.error());
  const oauth2::Account& account = **found;
  auto engine = context.engine(account);
  if (!engine) return context.report(engine.error());
  auto stored = (*engine)->store().load(account.name);
  if (!stored) return context.report(stored.error());
  if (!*stored) {
    fmt::print("{}: no tokens stored; nothing to revoke\n", account.name);
    return core::kExitOk;
  }
  int status = core::kExitOk;
  auto endpoints = (*engine)->endpoints(account);
  if (!endpoints) return context.report(endpoints.error());
  const std::string& url = endpoints->revocation_url;
  if (url.empty()) {
    fmt::print(stderr,
               "{}: {} has no token revocation endpoint; the tokens are only forgotten here. "
               "To cut off copies elsewhere{}\n",
               account.name, oauth2::to_string(account.provider),
               account.provider == oauth2::ProviderKind::Microsoft
                   ? ", revoke the user's sessions (Entra admin center: user > Revoke sessions, "
                     "or Revoke-MgUserSignInSession) or remove the app's consent"
                   : ", revoke the grant at the provider");
  } else {
    auto identities = (*engine)->client_identities(account);
    if (!identities) return context.report(identities.error());
    const bool has_refresh = !(*stored)->refresh_token.empty();
    auto revoked =
        oauth2::revoke_token(context.http(account), url, identities->front(),
                             has_refresh ? (*stored)->refresh_token : (*stored)->access_token,
                             has_refresh ? "refresh_token" : "access_token");
    if (!revoked) {
      status = context.report(revoked.error());
      if (!options.keep_local) {
        fmt::print(stderr,
                   "{}: the local tokens are kept because the provider did not confirm "
                   "the revocation; run again, or `mailoauth account remove`\n",
                   account.name);
        return status;
      }
    } else {
      fmt::print("{}: {} revoked at the provider\n", account.name,
                 has_refresh ? "refresh token" : "access token");
    }
  }
  if (!options.keep_local) {
    if (auto removed = (*engine)->store().remove(account.name); !removed) {
      return context.report(removed.error());
    }
    fmt::print("{}: local tokens deleted\n", account.name);
  }
  return status;
}

}  // namespace mailoauth::app
