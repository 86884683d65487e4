// The relay's Graph rules (relay/graph_delivery), as pure functions over what
// graph::send_mime returns — built with graph::explain_graph_error from the
// bodies Graph sends, so a change of its codes breaks these tests: 202 →
// sent for every recipient tried; 429/503 with Retry-After → deferred with
// the pause; maybe-sent → deferred, never failed; 401 after renewal, 403
// ErrorAccessDenied, an unknown mailbox, a token that cannot be had →
// deferred as configuration; ErrorInvalidRecipients → failed with Graph's
// words; too large → deferred. Also which messages fit one request, and how
// a route finds its mailbox, Graph URL and token account.
#include "mailoauth/relay/graph_delivery.hpp"

#include <gtest/gtest.h>

namespace mailoauth::relay {
namespace {

using queue::RecipientStatus;
using std::chrono::seconds;

core::Result<graph::SendResult> refused(long status, std::string_view code,
                                        std::string_view message) {
  const std::string body = R"({"error":{"code":")" + std::string(code) + R"(","message":")" +
                           std::string(message) + R"("}})";
  return core::fail(graph::explain_graph_error(status, body, "printer@contoso.com", "req-1"));
}

TEST(GraphVerdict, Accepted202IsSentWithGraphsRequestId) {
  graph::SendResult sent;
  sent.request_id = "7f0c-request";
  const GraphVerdict verdict = judge_graph_result(sent);
  EXPECT_EQ(verdict.outcome, GraphOutcome::Sent);
  EXPECT_EQ(verdict.request_id, "7f0c-request");
  EXPECT_EQ(verdict.reason, "202 Accepted request-id 7f0c-request");
  EXPECT_FALSE(verdict.pause);
}

TEST(GraphVerdict, ThrottledCarriesRetryAfterAsThePause) {
  auto result = refused(429, "ApplicationThrottled", "MailboxConcurrency limit");
  result.error().with_retry_after(seconds(7));
  const GraphVerdict verdict = judge_graph_result(result);
  EXPECT_EQ(verdict.outcome, GraphOutcome::Throttled);
  ASSERT_TRUE(verdict.pause);
  EXPECT_EQ(*verdict.pause, seconds(7));

  auto unavailable = refused(503, "ServiceUnavailable", "try later");
  unavailable.error().with_retry_after(seconds(30));
  EXPECT_EQ(judge_graph_result(unavailable).outcome, GraphOutcome::Throttled);
  EXPECT_EQ(*judge_graph_result(unavailable).pause, seconds(30));
}

TEST(GraphVerdict, MaybeSentIsDeferredNeverFailed) {
  const core::Result<graph::SendResult> result =
      core::fail(core::ErrorClass::Temporary, "graph.maybe_sent",
                 "Graph refused sendMail (HTTP 504); the message may have been sent, so it was not "
                 "sent again");
  const GraphVerdict verdict = judge_graph_result(result);
  EXPECT_EQ(verdict.outcome, GraphOutcome::MaybeSent);
  queue::DeliveryState state = queue::DeliveryState::fresh(2);
  record_graph_verdict(state, {0, 1}, verdict);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Deferred);
  EXPECT_EQ(state.recipients[1].status, RecipientStatus::Deferred);
  EXPECT_NE(state.recipients[0].last_reply.find("may have been sent"), std::string::npos);
}

TEST(GraphVerdict, AccountAndPermissionFaultsAreConfigurationNeverFailed) {
  const GraphVerdict denied =
      judge_graph_result(refused(403, "ErrorAccessDenied", "[RAOP] Blocked by AccessPolicy"));
  EXPECT_EQ(denied.outcome, GraphOutcome::Configuration);
  EXPECT_TRUE(denied.reason.starts_with("configuration: ")) << denied.reason;
  EXPECT_EQ(judge_graph_result(refused(401, "InvalidAuthenticationToken", "expired")).outcome,
            GraphOutcome::Configuration);
  EXPECT_EQ(judge_graph_result(refused(401, "", "")).outcome, GraphOutcome::Configuration);
  EXPECT_EQ(judge_graph_result(refused(404, "ErrorInvalidUser", "invalid user")).outcome,
            GraphOutcome::Configuration);
  EXPECT_EQ(judge_graph_result(refused(404, "MailboxNotEnabledForRESTAPI", "x")).outcome,
            GraphOutcome::Configuration);
  // No token at all (the identity server said no): the account's fault.
  const core::Result<graph::SendResult> no_token =
      core::fail(core::ErrorClass::Permanent, "oauth2.invalid_client", "wrong secret");
  const GraphVerdict account = judge_graph_result(no_token, true);
  EXPECT_EQ(account.outcome, GraphOutcome::Configuration);
  queue::DeliveryState state = queue::DeliveryState::fresh(1);
  record_graph_verdict(state, {0}, account);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Deferred);
}

TEST(GraphVerdict, GraphsRefusalOfTheMessageFailsTheRecipientsWithItsWords) {
  const GraphVerdict verdict = judge_graph_result(
      refused(400, "ErrorInvalidRecipients", "At least one recipient is not valid."));
  EXPECT_EQ(verdict.outcome, GraphOutcome::Refused);
  EXPECT_NE(verdict.reason.find("ErrorInvalidRecipients"), std::string::npos) << verdict.reason;
  EXPECT_NE(verdict.reason.find("At least one recipient is not valid."), std::string::npos);
  EXPECT_NE(verdict.reason.find("req-1"), std::string::npos);  // the request-id, for support
  queue::DeliveryState state = queue::DeliveryState::fresh(3);
  state.recipients[1].status = RecipientStatus::Sent;  // sent before: not tried, not touched
  record_graph_verdict(state, {0, 2}, verdict);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Failed);
  EXPECT_EQ(state.recipients[1].status, RecipientStatus::Sent);
  EXPECT_EQ(state.recipients[2].status, RecipientStatus::Failed);
  EXPECT_EQ(state.recipients[0].attempts, 1u);
  EXPECT_EQ(state.recipients[1].attempts, 0u);
}

TEST(GraphVerdict, AMessageGraphCannotTakeAsItIsFails) {
  // What write_envelope_bcc and the header reader say (mime.*), whatever the class.
  const core::Result<graph::SendResult> headerless =
      core::fail(core::ErrorClass::Permanent, "mime.bad_header", "no header fields");
  EXPECT_EQ(judge_graph_result(headerless).outcome, GraphOutcome::Refused);
  const core::Result<graph::SendResult> unwritable =
      core::fail(core::ErrorClass::Config, "mime.bad_address", "cannot be written in a Bcc field");
  EXPECT_EQ(judge_graph_result(unwritable).outcome, GraphOutcome::Refused);
}

TEST(GraphVerdict, SentMarksEveryRecipientTried) {
  graph::SendResult sent;
  sent.request_id = "r";
  queue::DeliveryState state = queue::DeliveryState::fresh(2);
  record_graph_verdict(state, {0, 1}, judge_graph_result(sent));
  EXPECT_TRUE(state.finished());
  EXPECT_FALSE(state.any_failed());
  EXPECT_EQ(state.recipients[1].last_reply, "202 Accepted request-id r");
}

TEST(GraphVerdict, NeverReachedGraphIsUnreachableAndTooLargeIsDeferred) {
  const core::Result<graph::SendResult> network =
      core::fail(core::ErrorClass::Temporary, "http.connect", "connection refused");
  EXPECT_EQ(judge_graph_result(network).outcome, GraphOutcome::Unreachable);
  const GraphVerdict large =
      judge_graph_result(refused(413, "BadRequest", "Maximum request length"));
  EXPECT_EQ(large.outcome, GraphOutcome::TooLarge);
  queue::DeliveryState state = queue::DeliveryState::fresh(1);
  record_graph_verdict(state, {0}, large);
  EXPECT_EQ(state.recipients[0].status, RecipientStatus::Deferred);
  // A refusal that is not Graph's (a TLS or URL problem): waits for a fix.
  const core::Result<graph::SendResult> tls =
      core::fail(core::ErrorClass::Permanent, "http.tls", "certificate verify failed");
  EXPECT_EQ(judge_graph_result(tls).outcome, GraphOutcome::Configuration);
}

TEST(GraphVerdict, ControlCharactersInGraphsMessageDoNotReachTheStateFile) {
  const GraphVerdict verdict =
      judge_graph_result(refused(400, "ErrorInvalidRecipients", "bad\\r\\nrcpt 1 sent"));
  EXPECT_EQ(verdict.reason.find('\n'), std::string::npos);
  EXPECT_EQ(verdict.reason.find('\r'), std::string::npos);
}

std::shared_ptr<const oauth2::AccountsConfig> accounts(std::string_view text) {
  auto parsed = oauth2::parse_accounts(text, "config.toml");
  if (!parsed) throw std::runtime_error(parsed.error().describe());
  return std::make_shared<const oauth2::AccountsConfig>(std::move(*parsed));
}

TEST(ResolveGraphRoute, MailboxUrlAndTokenAccountFromTheAccounts) {
  const auto config = accounts(R"(
[accounts.printer]
provider = "microsoft"
cloud = "usgov"
flow = "app"
client_id = "id"
client_secret_env = "SECRET"
preset = "smtp"
mailbox = "scanner@contoso.us"
graph_account = "printer-graph"
[accounts.printer-graph]
provider = "microsoft"
cloud = "usgov"
flow = "app"
client_id = "id"
client_secret_env = "SECRET"
preset = "graph"
mailbox = "scanner@contoso.us"
)");
  RouteConfig route;
  route.name = "printers";
  route.account = "printer";
  route.transport = delivery::Transport::Graph;
  const GraphRoute graph = resolve_graph_route(route, config);
  ASSERT_FALSE(graph.fault) << graph.fault->describe();
  EXPECT_EQ(graph.mailbox, "scanner@contoso.us");
  EXPECT_EQ(graph.base_url, "https://graph.microsoft.us");
  EXPECT_EQ(graph.account->name, "printer");
  EXPECT_EQ(graph.token_account->name, "printer-graph");
  const std::string said = describe_graph_route(graph);
  EXPECT_NE(said.find("https://graph.microsoft.us/v1.0/users/scanner@contoso.us/sendMail"),
            std::string::npos)
      << said;
  EXPECT_NE(said.find("token of account printer-graph"), std::string::npos) << said;
}

TEST(ResolveGraphRoute, AMissingGraphAccountIsAFaultNamed) {
  const auto config = accounts(R"(
[accounts.printer]
provider = "microsoft"
flow = "app"
client_id = "id"
client_secret_env = "SECRET"
preset = "graph"
mailbox = "scanner@contoso.com"
graph_account = "nowhere"
)");
  RouteConfig route;
  route.name = "printers";
  route.account = "printer";
  const GraphRoute graph = resolve_graph_route(route, config);
  ASSERT_TRUE(graph.fault);
  EXPECT_NE(graph.fault->describe().find("nowhere"), std::string::npos) << graph.fault->describe();
  EXPECT_NE(describe_graph_route(graph).find("cannot deliver"), std::string::npos);
}

}  // namespace
}  // namespace mailoauth::relay
