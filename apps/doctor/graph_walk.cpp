// The doctor's Microsoft Graph leg. Graph has no dry run for sendMail, so
// what can be proven without sending is this: a sendMail for the mailbox
// whose message names no recipient. Graph checks the token (401
// InvalidAuthenticationToken), the mailbox (404 ErrorInvalidUser) and the
// permission to send as it (403 ErrorAccessDenied, an application access
// policy's [RAOP]) before it looks at the message, and then refuses the
// message with 400 ErrorInvalidRecipients: that 400 is the proof, and
// nothing was sent. (GET /users/{id} would need User.Read.All, which a
// Mail.Send-only app lacks; a draft needs Mail.ReadWrite.) The test
// emulator (tests/graph_emulator) checks in the same order. TLS is looked at
// with net::Stream for an https URL; Graph has no greeting. A 401 renews the
// token once.
#include <boost/asio/io_context.hpp>
#include <fmt/format.h>

#include "mailoauth/core/base64.hpp"
#include "mailoauth/graph/send_mail.hpp"
#include "mailoauth/net/stream.hpp"
#include "mailoauth/oauth2/form.hpp"
#include "mailoauth/oauth2/retry.hpp"

#include "run_coroutine.hpp"
#include "walk.hpp"

namespace mailoauth::doctor_app {

namespace {

using core::ErrorClass;
using doctor::StepName;
using doctor::Verdict;

struct BaseUrl {
  bool https = true;
  std::string host;
  std::uint16_t port = 443;
};

core::Result<BaseUrl> parse_base_url(const std::string& url) {
  BaseUrl parsed;
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    parsed.https = false;
    parsed.port = 80;
    rest.remove_prefix(7);
  } else {
    return core::fail(ErrorClass::Config, "doctor.bad_graph_url",
                      fmt::format("graph_url \"{}\" is not an http(s) URL", url),
                      "set graph_url = \"https://graph.microsoft.com\" (or leave it out)");
  }
  rest = rest.substr(0, rest.find('/'));
  const auto colon = rest.rfind(':');
  parsed.host = std::string(rest.substr(0, colon));
  if (colon != std::string_view::npos) {
    const int port = std::atoi(std::string(rest.substr(colon + 1)).c_str());
    if (port <= 0 || port > 65535) {
      return core::fail(ErrorClass::Config, "doctor.bad_graph_url",
                        fmt::format("graph_url \"{}\" has a bad port", url),
                        "set graph_url = \"https://graph.microsoft.com\" (or leave it out)");
    }
    parsed.port = static_cast<std::uint16_t>(port);
  }
  return parsed;
}

boost::asio::awaitable<core::Result<net::PeerCertificate>> tls_facts(
    std::string host, std::uint16_t port, net::TlsSettings settings,
    std::chrono::milliseconds timeout) {
  auto stream = co_await net::Stream::connect(host, port, net::NetType::Auto, timeout);
  if (!stream) co_return core::fail(stream.error());
  auto tls = co_await stream->start_tls(std::move(settings), timeout);
  if (!tls) co_return core::fail(tls.error());
  auto certificate = stream->peer_certificate();
  stream->close();
  if (!certificate) {
    co_return core::fail(ErrorClass::Bug, "doctor.no_certificate", "TLS without a certificate");
  }
  co_return *certificate;
}

// A message with no recipient: Graph refuses it after every other check.
std::string probe_message(const std::string& mailbox) {
  return fmt::format(
      "From: <{}>\r\nSubject: mailoauth doctor probe (never delivered: it has no recipient)\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nprobe\r\n",
      mailbox);
}

core::Result<oauth2::HttpResponse> post_probe(Walk& walk, const std::string& base_url,
                                              const core::Secret& token) {
  oauth2::HttpRequest request;
  request.method = "POST";
  request.url =
      fmt::format("{}/v1.0/users/{}/sendMail", base_url, oauth2::form_escape(walk.account->user()));
  request.content_type = "text/plain";
  request.headers = {"client-request-id: mailoauth-doctor-probe"};
  request.body = core::Secret::take(core::base64::encode(probe_message(walk.account->user())));
  request.authorization = core::Secret::take("Bearer " + std::string(token.reveal()));
  request.total_timeout = walk.timeout();
  return walk.context.http(*walk.token_account).perform(request);
}

}  // namespace

void walk_graph(Walk& walk) {
  const std::string base_url =
      walk.account->graph_url.empty() ? "https://graph.microsoft.com" : walk.account->graph_url;
  walk.report.server = base_url;
  auto url = parse_base_url(base_url);
  if (!url) {
    doctor::fail_step(walk.step(StepName::Configuration), url.error());
    return;
  }
  walk.endpoint = {url->host, url->port, "graph"};
  walk.ca_file = walk.token_account->ca_file;
  if (!check_network(walk)) return;

  doctor::Step& tls = walk.step(StepName::Tls);
  if (!url->https) {
    tls.verdict = Verdict::Skipped;
    tls.found.emplace_back("plain HTTP (allowed to a loopback test server only): no TLS to check");
  } else {
    net::TlsSettings settings;
    settings.ca_file = walk.ca_file;
    auto facts = run_coroutine(tls_facts(url->host, url->port, settings, walk.timeout()));
    if (!facts) {
      doctor::fail_step(tls,
                        facts.error().code() == "net.certificate"
                            ? doctor::untrusted_certificate(facts.error(), !walk.ca_file.empty())
                            : facts.error());
      return;
    }
    tls.verdict = Verdict::Passed;
    describe_tls(tls, facts->protocol, facts->cipher, facts->subject, facts->issuer,
                 facts->not_after, url->host);
  }

  auto token = obtain_token(walk, doctor::MailApi::Graph);
  if (!token) return;
  doctor::Step& auth = walk.step(StepName::Authentication);
  doctor::Step& mailbox = walk.step(StepName::Mailbox);
  const std::string& user = walk.account->user();
  auto answer = post_probe(walk, base_url, *token);
  if (answer && answer->status == 401) {
    const core::Error first = graph::explain_graph_error(answer->status, answer->body, user,
                                                         answer->header("request-id"));
    auto renewed = renew_token(walk);
    if (!renewed) {
      auth.found.push_back("renewing the token failed too: " + renewed.error().describe());
      doctor::fail_step(auth, first);
      return;
    }
    *token = std::move(*renewed);
    answer = post_probe(walk, base_url, *token);
    if (answer && answer->status != 401) {
      auth.verdict = Verdict::Warning;
      auth.found.push_back("the stored token was refused: " + first.message());
      auth.cause =
          "Graph refused the stored token (revoked, or ended early); a renewed one was "
          "accepted";
      auth.remedy = "nothing, if it keeps passing; otherwise find out who revokes the tokens";
    }
  }
  if (!answer) {
    doctor::fail_step(auth, answer.error());
    return;
  }
  const core::Error explained =
      graph::explain_graph_error(answer->status, answer->body, user, answer->header("request-id"));
  if (answer->status == 401) {
    doctor::fail_step(auth, explained);
    return;
  }
  if (auth.verdict == Verdict::NotReached) auth.verdict = Verdict::Passed;
  auth.found.push_back(
      fmt::format("Graph accepted the token for {} (HTTP {})", user, answer->status));
  if (answer->status == 400 && explained.code() == "graph.ErrorInvalidRecipients") {
    mailbox.verdict = Verdict::Passed;
    mailbox.found.push_back(fmt::format(
        "sendMail as {} without a recipient: 400 ErrorInvalidRecipients, so the mailbox exists "
        "and the token may send as it; nothing was sent",
        user));
  } else if (answer->status == 202) {
    mailbox.verdict = Verdict::Warning;
    mailbox.found.emplace_back("sendMail without a recipient: 202 Accepted");
    mailbox.cause =
        "Graph accepted a message with no recipient, which it should refuse; it "
        "cannot have been delivered anywhere";
    mailbox.remedy = "nothing to do; the proof is weaker than usual";
  } else {
    doctor::fail_step(mailbox, explained);
    return;
  }

  if (!walk.options.send_test.empty()) {
    doctor::Step& send = walk.step(StepName::SendTest);
    send.checked = "one test message is sent to " + walk.options.send_test;
    graph::GraphSettings settings;
    settings.base_url = base_url;
    settings.max_attempts = 1;
    settings.max_total_wait = std::chrono::seconds(0);
    oauth2::RealSleeper sleeper;
    auto sent = graph::send_mime(walk.context.http(*walk.token_account), settings, user,
                                 std::move(*token), test_message(user, walk.options.send_test),
                                 {walk.options.send_test}, sleeper);
    if (!sent) {
      doctor::fail_step(send, sent.error());
      return;
    }
    send.verdict = Verdict::Passed;
    send.found.push_back(fmt::format("202 Accepted, request-id {}", sent->request_id));
  }
}

}  // namespace mailoauth::doctor_app
