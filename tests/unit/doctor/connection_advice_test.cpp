// The doctor's words for connection faults: refused names the port, a
// timeout on a mail submission port names the firewall that blocks outbound
// 587, no route names the routes; each with a Test-NetConnection line; a
// missing XOAUTH2 names the Exchange switch; an untrusted certificate names
// ca_file.
#include "mailoauth/doctor/connection_advice.hpp"

#include <gtest/gtest.h>

namespace mailoauth::doctor {
namespace {

using std::chrono::milliseconds;

const Endpoint kSmtp{"smtp.office365.com", 587, "smtp"};

TEST(ConnectionAdvice, RefusedNamesThePort) {
  const core::Error error = connection_failed(kSmtp, ConnectOutcome::Refused,
                                              "1.2.3.4: Connection refused", milliseconds(5000));
  EXPECT_EQ(error.code(), "doctor.tcp_refused");
  EXPECT_EQ(error.error_class(), core::ErrorClass::Temporary);
  EXPECT_NE(error.message().find("nothing listens on port 587"), std::string::npos);
  EXPECT_NE(error.remedy().find("smtp_port"), std::string::npos);
  EXPECT_NE(error.remedy().find("Test-NetConnection smtp.office365.com -Port 587"),
            std::string::npos);
}

TEST(ConnectionAdvice, ATimeoutOnASubmissionPortNamesTheBlockedOutboundPort) {
  const core::Error error =
      connection_failed(kSmtp, ConnectOutcome::TimedOut, "", milliseconds(5000));
  EXPECT_EQ(error.code(), "doctor.tcp_timeout");
  EXPECT_NE(error.message().find("a firewall drops the packets"), std::string::npos);
  EXPECT_NE(error.remedy().find("outbound port 587 is often blocked"), std::string::npos);
  const core::Error imap = connection_failed({"imap.example.com", 993, "imap"},
                                             ConnectOutcome::TimedOut, "", milliseconds(5000));
  EXPECT_EQ(imap.remedy().find("often blocked"), std::string::npos);
  EXPECT_NE(imap.remedy().find("allow outbound TCP 993"), std::string::npos);
}

TEST(ConnectionAdvice, UnreachableNamesTheRoutes) {
  const core::Error error = connection_failed(kSmtp, ConnectOutcome::Unreachable,
                                              "1.2.3.4: No route to host", milliseconds(5000));
  EXPECT_EQ(error.code(), "doctor.tcp_unreachable");
  EXPECT_NE(error.remedy().find("routes"), std::string::npos);
}

TEST(ConnectionAdvice, NamesThatDoNotResolve) {
  const core::Error error =
      name_not_resolved({"smtp.nowhere.invalid", 587, "smtp"}, "Host not found (authoritative)");
  EXPECT_EQ(error.code(), "doctor.dns_not_resolved");
  EXPECT_NE(error.message().find("the name smtp.nowhere.invalid does not resolve"),
            std::string::npos);
  EXPECT_NE(error.remedy().find("smtp_server in the account"), std::string::npos);
  EXPECT_NE(error.remedy().find("Resolve-DnsName smtp.nowhere.invalid"), std::string::npos);
}

TEST(ConnectionAdvice, ASilentServer) {
  const core::Error error = server_silent(kSmtp, "the 220 greeting", milliseconds(2000));
  EXPECT_EQ(error.code(), "doctor.server_silent");
  EXPECT_NE(error.message().find("accepted the connection but sent nothing within 2000 ms"),
            std::string::npos);
}

TEST(ConnectionAdvice, NoXoauth2NamesTheExchangeSwitch) {
  const core::Error smtp = no_bearer_mechanism(kSmtp, {"LOGIN", "PLAIN"});
  EXPECT_EQ(smtp.code(), "doctor.no_xoauth2");
  EXPECT_NE(smtp.message().find("(AUTH: LOGIN PLAIN): XOAUTH2 is missing"), std::string::npos);
  EXPECT_NE(smtp.remedy().find("Set-TransportConfig -SmtpClientAuthenticationDisabled $false"),
            std::string::npos);
  const core::Error imap = no_bearer_mechanism({"outlook.office365.com", 993, "imap"}, {});
  EXPECT_NE(imap.remedy().find("-ImapEnabled $true"), std::string::npos);
}

TEST(ConnectionAdvice, AnUntrustedCertificateNamesCaFile) {
  const core::Error tls(core::ErrorClass::Config, "net.certificate", "not trusted: self-signed");
  EXPECT_NE(untrusted_certificate(tls, false).remedy().find("set ca_file ="), std::string::npos);
  EXPECT_NE(untrusted_certificate(tls, true).remedy().find("check that the account's ca_file"),
            std::string::npos);
  EXPECT_EQ(untrusted_certificate(tls, true).message(), "not trusted: self-signed");
}

}  // namespace
}  // namespace mailoauth::doctor
