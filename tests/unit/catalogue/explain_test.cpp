// `mailoauth explain`'s matching: the issue's examples each find their entry
// first; a bare status lists every entry that has it, the general one first;
// bodies pasted whole pick the entry the program would use; texts that are
// in no catalogue say so (an unknown AADSTS number is named); hostile input
// (long, binary, CR/LF) is bounded and escaped; and every entry's own
// example text finds that entry.
#include "mailoauth/catalogue/explain.hpp"

#include <set>
#include <string>

#include <gtest/gtest.h>

namespace mailoauth::catalogue {
namespace {

std::string first_id(std::string_view text) {
  const Explanation explanation = explain(text);
  if (explanation.candidates.empty()) return "(none)";
  return entries()[explanation.candidates.front().entry].id;
}

std::vector<std::string> ids(std::string_view text) {
  std::vector<std::string> found;
  for (const auto& candidate : explain(text).candidates) {
    found.push_back(entries()[candidate.entry].id);
  }
  return found;
}

TEST(ExplainTest, TheIssuesExamplesFindTheirEntry) {
  EXPECT_EQ(first_id("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                     "disabled for the Tenant"),
            "smtp.client_auth_disabled_tenant");
  EXPECT_EQ(first_id("AADSTS7000215"), "aadsts.7000215");
  EXPECT_EQ(first_id("invalid_grant"), "oauth.invalid_grant");
  EXPECT_EQ(first_id("BAD User is authenticated but not connected."),
            "imap.text.user_is_authenticated_but_not_connected");
  EXPECT_EQ(first_id("ErrorAccessDenied"), "graph.ErrorAccessDenied");
  EXPECT_EQ(first_id("5.7.3"), "smtp.authentication_unsuccessful");
}

TEST(ExplainTest, OneExactReplyIsOneAnswerTheEntryTheProgramUses) {
  const Explanation explanation = explain(
      "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for "
      "the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. "
      "[FR2P281CA0043.DEUP281.PROD.OUTLOOK.COM]");
  ASSERT_EQ(explanation.candidates.size(), 1u);
  EXPECT_TRUE(explanation.candidates[0].used);
  const Entry& entry = entries()[explanation.candidates[0].entry];
  EXPECT_EQ(entry.error_code, "smtp.client_auth_disabled_tenant");
  EXPECT_EQ(entry.error_class, core::ErrorClass::Permanent);
  EXPECT_NE(entry.remedy.find("Set-TransportConfig -SmtpClientAuthenticationDisabled $false"),
            std::string_view::npos);
}

TEST(ExplainTest, ABareStatusListsEveryEntryWithItTheGeneralOneFirst) {
  const auto found = ids("5.7.139");
  ASSERT_GE(found.size(), 5u);
  EXPECT_EQ(found[0], "smtp.tenant_policy");
  const std::set<std::string> all(found.begin(), found.end());
  for (const char* id : {"smtp.client_auth_disabled_tenant", "smtp.client_auth_disabled_mailbox",
                         "smtp.basic_auth_disabled", "smtp.security_defaults"}) {
    EXPECT_TRUE(all.contains(id)) << id;
  }
}

TEST(ExplainTest, PastedAnywhereInALine) {
  EXPECT_EQ(first_id("Error: SMTP error from remote mail server after AUTH: 535 5.7.139 "
                     "Authentication unsuccessful, basic authentication is disabled."),
            "smtp.basic_auth_disabled");
  EXPECT_EQ(first_id("smtp; 550 5.7.60 SMTP; Client does not have permissions to send as this "
                     "sender"),
            "smtp.send_as_no_permission");
  EXPECT_EQ(first_id("Client not authenticated to send mail"), "smtp.client_not_authenticated");
  EXPECT_EQ(first_id("user is locked by your organization's security defaults policy"),
            "smtp.security_defaults");
  EXPECT_EQ(first_id("AO003 BAD User is authenticated but not connected."),
            "imap.text.user_is_authenticated_but_not_connected");
  EXPECT_EQ(first_id("A1 NO AUTHENTICATE failed."), "imap.text.authenticate_failed");
  EXPECT_EQ(first_id("[AUTHENTICATIONFAILED]"), "imap.code.authenticationfailed");
  EXPECT_EQ(first_id("Application is over its MailboxConcurrency limit."),
            "graph.ApplicationThrottled.mailboxconcurrency");
  EXPECT_EQ(first_id("7000222"), "aadsts.7000222");
  // STOREDRV alone would be the quota; SendAsDenied in it is the permission.
  EXPECT_EQ(first_id("554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException."
                     "MapiExceptionSendAsDenied; Failed to process message"),
            "smtp.send_as_denied_submission");
}

TEST(ExplainTest, WholeBodiesPickWhatTheProgramPicks) {
  const Explanation token = explain(
      R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret )"
      R"(provided. Ensure the secret being sent in the request is the client secret value, not )"
      R"(the client secret ID.","error_codes":[7000215],"trace_id":"x","correlation_id":"y"})");
  ASSERT_GE(token.candidates.size(), 2u);
  EXPECT_EQ(entries()[token.candidates[0].entry].id, "aadsts.7000215");
  EXPECT_TRUE(token.candidates[0].used);
  EXPECT_EQ(entries()[token.candidates[1].entry].id, "oauth.invalid_client");

  const Explanation graph = explain(
      R"({"error":{"code":"ErrorAccessDenied","message":"Access to OData is disabled: [RAOP] : )"
      R"(Blocked by tenant configured AppOnly AccessPolicy settings."}})");
  ASSERT_FALSE(graph.candidates.empty());
  EXPECT_EQ(entries()[graph.candidates[0].entry].id, "graph.ErrorAccessDenied.accesspolicy");
  EXPECT_TRUE(graph.candidates[0].used);
}

TEST(ExplainTest, NotInTheCatalogueSaysSo) {
  EXPECT_TRUE(explain("hello world").candidates.empty());
  EXPECT_TRUE(explain("250 2.0.0 OK").candidates.empty());
  const Explanation unknown = explain("AADSTS12345: something new");
  EXPECT_TRUE(unknown.candidates.empty());
  EXPECT_EQ(unknown.unknown_code, "AADSTS12345");
  EXPECT_TRUE(explain("").candidates.empty());
  EXPECT_TRUE(explain("\r\n\t ").candidates.empty());
}

TEST(ExplainTest, HostileInputIsBoundedAndEscaped) {
  std::string huge(1 << 20, 'a');
  constexpr std::string_view hostile("535 5.7.3 x\r\n\x1b[2J\0\xff nul", 23);
  huge.replace(0, hostile.size(), hostile);
  const Explanation explanation = explain(huge);
  EXPECT_TRUE(explanation.truncated);
  EXPECT_EQ(explanation.input_size, huge.size());
  EXPECT_LE(explanation.shown_input.size(), 4 * kShownInputBytes + 3);
  for (char c : explanation.shown_input) {
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << explanation.shown_input;
  }
  EXPECT_NE(explanation.shown_input.find("\\r\\n\\x1b[2J\\x00"), std::string::npos);
  // Deep JSON does not overflow anything.
  const std::string deep = "{\"error\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  EXPECT_TRUE(explain(deep).candidates.empty());
  // A CR/LF split reply is one reply.
  EXPECT_EQ(
      first_id("535-5.7.8 Username and Password not accepted. For more information, go to"
               "\r\n535 5.7.8  https://support.google.com/mail/?p=BadCredentials - gsmtp\r\n"),
      "smtp.gmail_bad_credentials");
}

TEST(ExplainTest, EveryEntryIsUniqueAndItsExampleFindsIt) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < entries().size(); ++i) {
    const Entry& entry = entries()[i];
    SCOPED_TRACE(entry.id);
    EXPECT_TRUE(seen.insert(entry.id).second) << "duplicate id";
    EXPECT_FALSE(entry.meaning.empty());
    if (entry.example.empty()) continue;
    // Graph's example is the message of its error body.
    const std::string text = entry.kind == Kind::Graph
                                 ? "{\"error\":{\"code\":\"" + entry.error_code.substr(6) +
                                       "\",\"message\":\"" + std::string(entry.example) + "\"}}"
                                 : std::string(entry.example);
    bool found = false;
    for (const auto& candidate : explain(text).candidates) {
      found = found || candidate.entry == i;
    }
    EXPECT_TRUE(found) << entry.example;
  }
  EXPECT_GE(entries().size(), 100u);
}

}  // namespace
}  // namespace mailoauth::catalogue
